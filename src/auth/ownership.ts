import { customerNotFound, normalizeEmail, type CustomerService } from '../domain/customers.js';
import { paymentIntentNotFound } from '../domain/payment-answers.js';
import { payerUnknown, type PaymentMethodService } from '../domain/payment-methods.js';
import type { PaymentService } from '../domain/payments.js';
import { AppError } from '../errors.js';

/** The resource a request touches, as far as deciding whose it is goes. */
export type OwnedResource =
  | { kind: 'email'; value: string; otherwise: 'forbidden' | 'not_found' }
  | { kind: 'customerId'; value: string }
  /** A saved card: the customer it belongs to. */
  | { kind: 'paymentMethodId'; value: string }
  /** Nothing named: the route acts for the token's own customer, found by its email. */
  | { kind: 'self' }
  | { kind: 'paymentIntentId'; value: string };

/** Who a customer token says it is: its email, and its user id when it carries one. */
export interface CustomerIdentity {
  email: string;
  subject: string | null;
}

/**
 * A customer reaches only the customer record with its token's email, and what hangs from it;
 * when that record was created by a customer token and this token names a user too, the user ids
 * must match as well (an address that changed hands at the Auth Service reaches nothing). Another
 * customer's record answers exactly as a missing one (same code, same message), so a customer
 * cannot learn which ids or emails exist.
 */
export class OwnershipChecker {
  constructor(
    private readonly customers: CustomerService,
    private readonly payments: PaymentService,
    private readonly paymentMethods: PaymentMethodService,
  ) {}

  async assertOwnedBy(who: CustomerIdentity, resource: OwnedResource): Promise<void> {
    switch (resource.kind) {
      case 'email': {
        const customer = sameEmail(resource.value, who.email) ? await this.customers.findByEmail(resource.value) : null;
        if (sameEmail(resource.value, who.email) && (!customer || sameUser(customer, who))) return;
        throw resource.otherwise === 'forbidden'
          ? new AppError('forbidden', 'A customer token acts only for its own customer')
          : customerNotFound('email', resource.value);
      }
      case 'customerId': {
        const customer = await this.customers.getByCustomerId(resource.value);
        if (!owns(customer, who)) throw customerNotFound('id', resource.value);
        return;
      }
      case 'paymentMethodId': {
        // Another customer's card answers as one saved to no one.
        const payer = await this.paymentMethods.payerOf(resource.value);
        if (!owns(payer, who)) throw payerUnknown(resource.value);
        return;
      }
      case 'self':
        return;
      case 'paymentIntentId': {
        const payment = await this.payments.get(resource.value);
        const owner = payment.customerProcessorId ? await this.customers.getByCustomerId(payment.customerProcessorId) : null;
        if (!owner || !owns(owner, who)) throw paymentIntentNotFound(resource.value);
        return;
      }
    }
  }
}

function sameEmail(a: string, b: string): boolean {
  return normalizeEmail(a) === normalizeEmail(b);
}

/** A record made by a customer token belongs to that user: a token naming another user id is not its owner. */
function sameUser(customer: { ownerSubject?: string | null }, who: CustomerIdentity): boolean {
  return customer.ownerSubject == null || who.subject === null || customer.ownerSubject === who.subject;
}

function owns(customer: { email: string; ownerSubject?: string | null }, who: CustomerIdentity): boolean {
  return sameEmail(customer.email, who.email) && sameUser(customer, who);
}
