import type { Api, ApiResponse } from './app.js';

/**
 * The CommuneDrop web app's calls to the payment service, written as its own code makes them and
 * reads them back (../shared/CONTRACTS.md, "Clients that call us"): what it sends, which fields it
 * reads, what it falls back to when a field is missing. A test that goes through this client
 * proves the web app works unchanged, fallbacks included (an invented payment id is reported).
 */
export class WebAppClient {
  /** Every request the app sent, retries included: [method, url, status]. */
  readonly sent: Array<[string, string, number]> = [];

  constructor(
    /** With the signed-in user's token. */
    private readonly user: Api,
    /** With the order service's client-credentials token, which the checkout uses to pay. */
    private readonly orderClient: Api,
  ) {}

  /** Its HTTP client: 429 and 5xx are retried twice, with backoff (short here). */
  private async call(api: Api, method: string, url: string, body?: unknown): Promise<ApiResponse> {
    for (let attempt = 0; ; attempt++) {
      const response = await api.request(method, url, body);
      this.sent.push([method, url, response.status]);
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt === 2) return response;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
    }
  }

  /** Registration: `response.ok` and the top-level `customerId`; anything else is "Failed to create customer". */
  async register(name: string, email: string): Promise<{ customerId: string } | { error: string; response: ApiResponse }> {
    const response = await this.call(this.user, 'POST', '/payment/customer', { name, email });
    const ok = response.status >= 200 && response.status < 300;
    if (!ok || typeof response.body?.customerId !== 'string') return { error: 'Failed to create customer', response };
    return { customerId: response.body.customerId };
  }

  /** Top-level `customerId`, else `data.customerId`; 404 is "no customer yet" (null). */
  async lookUp(email: string): Promise<string | null> {
    const response = await this.call(this.user, 'GET', `/payment/customer/${encodeURIComponent(email)}`);
    if (response.status === 404) return null;
    if (response.status !== 200) throw new Error(`customer lookup answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.customerId ?? response.body.data?.customerId ?? null;
  }

  /** Per card, the first present of `id`/`payment_method_id`, and the display fields. */
  async listCards(customerId: string) {
    const response = await this.call(this.user, 'GET', `/payment/payment-methods/${customerId}`);
    if (response.status !== 200) throw new Error(`card list answered ${response.status}: ${JSON.stringify(response.body)}`);
    return (response.body.data as Array<Record<string, unknown>>).map((card) => ({
      id: (card['id'] ?? card['payment_method_id']) as string,
      brand: card['card_brand'] as string,
      last4: card['card_last4'] as string,
      cardholderName: card['cardholder_name'] as string | null,
      expiryDate: card['expiry_date'] as string | null,
      isDefault: card['is_default'] as boolean,
    }));
  }

  /**
   * Saving a card from Stripe.js's `paymentMethod.card`, with the app's placeholders for what
   * Stripe.js did not give: `****`, `**\/**`, `unknown`, `Card Holder`.
   */
  async saveCard(customerId: string, paymentMethodId: string, card: { last4?: string; expMonth?: number; expYear?: number; brand?: string; name?: string }, isDefault = false) {
    const response = await this.call(this.user, 'POST', '/payment/payment-method-details', {
      customerId,
      paymentMethodId,
      cardholderName: card.name ?? 'Card Holder',
      last4: card.last4 ?? '****',
      expiryDate: card.expMonth && card.expYear ? `${card.expMonth}/${String(card.expYear).slice(-2)}` : '**/**',
      cardType: card.brand ?? 'unknown',
      isDefault,
    });
    return { ok: response.status >= 200 && response.status < 300, success: response.body?.success, message: response.body?.message, response };
  }

  async makeDefault(customerId: string, paymentMethodId: string) {
    const response = await this.call(this.user, 'PUT', '/payment/payment-method', { customerId, paymentMethodId, isDefault: true });
    return { success: response.body?.success === true, response };
  }

  async deleteCard(customerId: string, paymentMethodId: string) {
    const response = await this.call(this.user, 'DELETE', '/payment/payment-method', { customerId, paymentMethodId });
    return { ok: response.status >= 200 && response.status < 300, success: response.body?.success, message: response.body?.message, response };
  }

  /**
   * Checkout: pays with the order client's token. `success: true` is "paid"; the order keeps
   * `data.paymentIntentId`, or, when that is missing, an id the app invents (`invented: true`).
   */
  async pay(order: { orderId: string; amount: number; paymentMethodId: string; customerId: string; currency?: string }) {
    const response = await this.call(this.orderClient, 'POST', '/payment/payment-intent', {
      orderId: order.orderId,
      amount: order.amount,
      paymentMethodId: order.paymentMethodId,
      currency: order.currency ?? 'usd',
      customerId: order.customerId,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const success = response.body?.success === true;
    const real: unknown = response.body?.data?.paymentIntentId;
    const paymentId = success ? (typeof real === 'string' ? real : `pi_${Date.now()}`) : null;
    return { success, paymentId, invented: success && typeof real !== 'string', message: response.body?.message as string | undefined, response };
  }

  /** Stripe's browser-confirmed flow: `{amount, currency}` (and the order) with the user's token; reads `data.clientSecret`. */
  async startBrowserPayment(body: { amount: number; currency: string; orderId?: string; customerId?: string }) {
    const response = await this.call(this.user, 'POST', '/payment/payment-intent', body);
    return { success: response.body?.success === true, clientSecret: response.body?.data?.clientSecret as string | undefined, response };
  }
}
