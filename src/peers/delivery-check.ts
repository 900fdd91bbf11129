import { callPeer, unavailable, type PeerCallOptions } from './location-service.js';

/**
 * Asks the platform an order's status (DELIVERY_CHECK_URL): GET {base}/{orderId}, or the URL with
 * `{orderId}` replaced. The Order Service's record answers `status` at the top or in `data`.
 */
export class DeliveryCheckClient {
  constructor(private readonly options: PeerCallOptions) {}

  async orderStatus(orderId: string, token: string | null): Promise<string> {
    const id = encodeURIComponent(orderId);
    const url = this.options.baseUrl.includes('{orderId}') ? this.options.baseUrl.replace('{orderId}', id) : `${this.options.baseUrl}/${id}`;
    const body = (await callPeer('The delivery check (DELIVERY_CHECK_URL)', url, {
      method: 'GET',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }, this.options.timeoutMs)) as { status?: unknown; data?: { status?: unknown } } | null;
    const status = body?.status ?? body?.data?.status;
    if (typeof status !== 'string' || status.trim() === '') {
      throw unavailable('The delivery check (DELIVERY_CHECK_URL) answered no order status');
    }
    return status.trim().toUpperCase();
  }
}
