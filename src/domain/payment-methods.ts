import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor } from '../processors/processor.js';
import type { PaymentMethodsRepository } from '../store/payment-methods-repository.js';
import { formatCardExpiry, isCardPlaceholder, normalizeCardBrand, parseCardExpiry, type CardExpiry } from './cards.js';
import type { ActiveCustomer, CustomerService } from './customers.js';
import type { SavedCard } from './models.js';
import { processorKey } from './processor-keys.js';
import { toAppError, type Logger } from './processor-errors.js';

/** What the client says about a card it saves; the processor's own details win where it has them. */
export interface CardDetailsInput {
  cardholderName?: string | undefined;
  last4?: string | undefined;
  cardType?: string | undefined;
  expiryDate?: string | undefined;
  isDefault?: boolean | undefined;
}

/** A saved card, whether it is new, and where the client's description differed from the processor's (its details were kept). */
export interface AttachedCard {
  card: SavedCard;
  created: boolean;
  differences: string[];
}

/** What the client said of a card that the processor contradicts, in words: `last4 1111 (the processor has 4242)`. */
function describeDifferences(
  told: { brand: string | null; last4: string | null; expiry: CardExpiry | null },
  processor: { brand: string; last4: string; expMonth: number | null; expYear: number | null },
): string[] {
  const differences: string[] = [];
  // Stripe's `unknown` brand on its side says as little as the client's placeholder.
  if (told.brand !== null && processor.brand !== 'unknown' && told.brand !== processor.brand) {
    differences.push(`cardType ${told.brand} (the processor has ${processor.brand})`);
  }
  if (told.last4 !== null && told.last4 !== processor.last4) differences.push(`last4 ${told.last4} (the processor has ${processor.last4})`);
  const expiry = formatCardExpiry(processor.expMonth, processor.expYear);
  if (told.expiry !== null && expiry !== null && (told.expiry.month !== processor.expMonth || told.expiry.year !== processor.expYear)) {
    differences.push(`expiryDate ${formatCardExpiry(told.expiry.month, told.expiry.year)} (the processor has ${expiry})`);
  }
  return differences;
}

export class PaymentMethodService {
  constructor(
    private readonly customers: CustomerService,
    private readonly cards: PaymentMethodsRepository,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Attaches a card to a customer at the processor and saves it. Saving the same card again is
   * harmless; the customer's first card becomes the default.
   */
  async attach(customerId: string, paymentMethodId: string, details: CardDetailsInput = {}): Promise<AttachedCard> {
    // Check what the client said before anything is changed; placeholders say nothing, and pass.
    const brand = details.cardType !== undefined && !isCardPlaceholder('cardType', details.cardType) ? normalizeCardBrand(details.cardType) : null;
    const expiry = details.expiryDate !== undefined && !isCardPlaceholder('expiryDate', details.expiryDate)
      ? parseCardExpiry(details.expiryDate, this.now())
      : null;
    const last4 = details.last4 !== undefined && !isCardPlaceholder('last4', details.last4) ? details.last4 : null;
    const cardholderName = isCardPlaceholder('cardholderName', details.cardholderName) ? undefined : details.cardholderName?.trim();
    const customer = await this.customers.getByCustomerId(customerId);
    await this.assertNotSavedElsewhere(customer, paymentMethodId);

    let attached;
    try {
      // Keyed by the customer's card generation: within one, a retried save replays its attach;
      // after a deletion, the processor is asked anew and answers a detached card as unusable.
      attached = await this.processor.attachPaymentMethod(
        paymentMethodId,
        customer.processorCustomerId,
        processorKey('pm-attach', customer.processorCustomerId, `g${customer.cardGeneration}`, paymentMethodId),
      );
    } catch (error) {
      throw toAppError(error, 'payment_method_not_found', this.logger);
    }
    const differences = describeDifferences({ brand, last4, expiry }, attached);
    if (differences.length > 0) {
      this.logger.info({ paymentMethodId: attached.id }, 'the client described the card differently from the processor; keeping the processor\'s details');
    }
    const saved = await this.cards.save({
      id: attached.id,
      customerId: customer.id,
      brand: attached.brand,
      last4: attached.last4,
      expMonth: attached.expMonth,
      expYear: attached.expYear,
      cardholderName: cardholderName || attached.cardholderName,
      makeDefault: details.isDefault === true,
    });
    if (!saved) throw this.savedElsewhere(attached.id);
    if (saved.defaultChanged) await this.tellProcessorDefault(customer, saved.card.id);
    return { card: saved.card, created: saved.created, differences };
  }

  /**
   * The customer a saved card belongs to, for a payment sent without a customer id (the web app
   * sends `customerId: ""` when it could not look the customer up). A card saved to no one, or not
   * saved at all, answers 400 naming customerId.
   */
  async payerOf(paymentMethodId: string): Promise<ActiveCustomer> {
    const card = await this.cards.get(paymentMethodId);
    const customer = card ? await this.customers.findById(card.customerId) : null;
    if (!customer) throw payerUnknown(paymentMethodId);
    return customer;
  }

  async list(customerId: string): Promise<SavedCard[]> {
    const customer = await this.customers.getByCustomerId(customerId);
    return this.cards.listForCustomer(customer.id);
  }

  async setDefault(customerId: string, paymentMethodId: string): Promise<SavedCard> {
    const customer = await this.customers.getByCustomerId(customerId);
    const card = await this.cards.setDefault(customer.id, paymentMethodId);
    if (!card) throw this.notSaved(customerId, paymentMethodId);
    await this.tellProcessorDefault(customer, card.id);
    return card;
  }

  /** Detaches a card at the processor and forgets it; when it was the default, another card takes over. */
  async remove(customerId: string, paymentMethodId: string): Promise<void> {
    const customer = await this.customers.getByCustomerId(customerId);
    const card = await this.cards.get(paymentMethodId);
    if (!card || card.customerId !== customer.id) throw this.notSaved(customerId, paymentMethodId);
    try {
      await this.processor.detachPaymentMethod(paymentMethodId, processorKey('pm-detach', paymentMethodId));
    } catch (error) {
      // Already gone at the processor (an earlier attempt got that far): finish forgetting it here.
      const alreadyDetached = error instanceof ProcessorError && (error.kind === 'not_found' || error.kind === 'invalid_request');
      if (!alreadyDetached) throw toAppError(error, 'payment_method_not_found', this.logger);
    }
    const { deleted, promoted } = await this.cards.delete(customer.id, paymentMethodId);
    if (!deleted) throw this.notSaved(customerId, paymentMethodId);
    if (promoted) await this.tellProcessorDefault(customer, promoted.id);
  }

  private async assertNotSavedElsewhere(customer: ActiveCustomer, paymentMethodId: string) {
    const existing = await this.cards.get(paymentMethodId);
    if (existing && existing.customerId !== customer.id) throw this.savedElsewhere(paymentMethodId);
  }

  /** Another customer's card answers exactly as one that does not exist, so ids cannot be probed. */
  private savedElsewhere(paymentMethodId: string) {
    return new AppError('payment_method_not_found', `No such payment method: ${paymentMethodId}`);
  }

  private notSaved(customerId: string, paymentMethodId: string) {
    return new AppError('payment_method_not_found', `Customer ${customerId} has no saved payment method ${paymentMethodId}`);
  }

  /**
   * Our database decides which card is the default; the processor's copy (used for invoices) is
   * brought in line on a best-effort basis, so an outage there never fails a card change here.
   */
  private async tellProcessorDefault(customer: ActiveCustomer, paymentMethodId: string) {
    try {
      await this.processor.setDefaultPaymentMethod(customer.processorCustomerId, paymentMethodId, processorKey('cus-default', randomUUID()));
    } catch (error) {
      this.logger.warn({ err: error, customerId: customer.processorCustomerId, paymentMethodId }, 'could not set the default card at the processor');
    }
  }
}

/** A payment without a customer id whose card names no customer: 400 naming customerId. */
export function payerUnknown(paymentMethodId: string): AppError {
  return new AppError(
    'validation_failed',
    `customerId is required: payment method ${paymentMethodId} is not saved to a customer here, so the payer cannot be told from it`,
    { param: 'customerId' },
  );
}
