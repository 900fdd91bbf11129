import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** An id in monospace with a button that copies it. */
export function CopyId({ value, label }: { value: string | null; label?: string }) {
  const [copied, setCopied] = useState(false);
  if (!value) return <span>—</span>;
  const copy = async () => {
    await navigator.clipboard?.writeText(value).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <span class="id">
      <code>{value}</code>
      <button type="button" class="copy" onClick={copy} aria-label={`Copy ${label ?? 'id'} ${value}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
  return <p class="error" role="alert">{text}</p>;
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value}`}>{value.replaceAll('_', ' ')}</span>;
}

/** Loads `load()` again whenever one of `deps` changes; `reload` asks again on demand. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { value: T | null; error: unknown; reload: () => void } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((v) => live && (setValue(v), setError(null)), (e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { value, error, reload: () => setRound((r) => r + 1) };
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
