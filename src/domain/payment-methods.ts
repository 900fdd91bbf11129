import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor } from '../processors/processor.js';
import type { PaymentMethodsRepository } from '../store/payment-methods-repository.js';
import { normalizeCardBrand, parseCardExpiry } from './cards.js';
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
  async attach(customerId: string, paymentMethodId: string, details: CardDetailsInput = {}): Promise<{ card: SavedCard; created: boolean }> {
    // Check what the client said before anything is changed.
    if (details.cardType !== undefined) normalizeCardBrand(details.cardType);
    if (details.expiryDate !== undefined) parseCardExpiry(details.expiryDate, this.now());
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
    if (details.last4 !== undefined && details.last4 !== attached.last4) {
      this.logger.info({ paymentMethodId: attached.id }, 'the client described the card differently from the processor; keeping the processor\'s details');
    }
    const saved = await this.cards.save({
      id: attached.id,
      customerId: customer.id,
      brand: attached.brand,
      last4: attached.last4,
      expMonth: attached.expMonth,
      expYear: attached.expYear,
      cardholderName: details.cardholderName?.trim() || attached.cardholderName,
      makeDefault: details.isDefault === true,
    });
    if (!saved) throw this.savedElsewhere(attached.id);
    if (saved.defaultChanged) await this.tellProcessorDefault(customer, saved.card.id);
    return { card: saved.card, created: saved.created };
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
