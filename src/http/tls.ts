import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server as TlsServer, SecureContextOptions } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { PerimeterConfig } from '../config-perimeter.js';

/** TLS 1.0 and 1.1 are broken and barred by PCI DSS; Node's own default is 1.2 too, but it is not left to chance. */
export const MIN_TLS_VERSION = 'TLSv1.2';

type TlsFiles = NonNullable<PerimeterConfig['tls']>;

/** The key and certificate chain as the HTTPS server takes them, read now from their files. */
export function readTlsOptions(files: TlsFiles): SecureContextOptions & { minVersion: typeof MIN_TLS_VERSION } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile), minVersion: MIN_TLS_VERSION };
}

/** What the log says of a certificate: never the key, only whom it names and until when. */
function describeCertificate(cert: Buffer | string | unknown): { subject: string; validTo: string } | null {
  try {
    const x509 = new X509Certificate(cert as Buffer);
    return { subject: x509.subject.replace(/\n/g, ', '), validTo: x509.validTo };
  } catch {
    return null;
  }
}

/**
 * Reads the key and certificate again on SIGHUP and serves them to new connections (open ones keep
 * theirs), so a renewed certificate needs no restart. A file that cannot be read or does not
 * match leaves the current certificate in place. Answers the function that stops listening.
 */
export function reloadCertificateOnSighup(server: TlsServer, files: TlsFiles, log: FastifyBaseLogger): () => void {
  const reload = () => {
    try {
      const options = readTlsOptions(files);
      server.setSecureContext(options);
      log.info({ certificate: describeCertificate(options.cert) }, 'TLS certificate reloaded');
    } catch (error) {
      log.error({ err: { message: (error as Error).message } }, 'TLS certificate reload failed; the previous certificate is still served');
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/** The boot line that says how the service is reached. */
export function describeTransport(config: Pick<PerimeterConfig, 'tls' | 'trustProxy'>): string {
  if (config.tls) return `serving HTTPS only (TLS 1.2 or newer) with ${config.tls.certFile}; SIGHUP reloads the certificate`;
  return (
    'serving plain HTTP: TLS_CERT_FILE and TLS_KEY_FILE are unset, so a TLS-terminating proxy is expected in front; ' +
    `X-Forwarded-* headers are trusted from: ${config.trustProxy === false ? 'nobody (TRUST_PROXY unset)' : JSON.stringify(config.trustProxy)}`
  );
}
