import { AppError } from '../errors.js';

/** Stripe's payment intent statuses, plus `unknown`: the processor's outcome is not known yet. */
export const PAYMENT_STATUSES = [
  'unknown',
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type KnownPaymentStatus = Exclude<PaymentStatus, 'unknown'>;

/**
 * The one transition table. A status may always be "moved" to itself (a repeated answer from the
 * processor); every other move must be listed here. `unknown` resolves to whatever the processor says.
 */
const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  unknown: [
    'requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture',
    'succeeded', 'canceled',
  ],
  requires_payment_method: ['requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  requires_confirmation: ['requires_payment_method', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  requires_action: ['requires_payment_method', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  processing: ['requires_payment_method', 'requires_action', 'requires_capture', 'succeeded', 'canceled'],
  requires_capture: ['processing', 'succeeded', 'canceled'],
  succeeded: [],
  canceled: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return from === to || PAYMENT_TRANSITIONS[from].includes(to);
}

/** The statuses from which the transition table allows a move to `to`. */
export function statusesThatCanBecome(to: PaymentStatus): PaymentStatus[] {
  return PAYMENT_STATUSES.filter((from) => canTransition(from, to));
}

export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('invalid_state', `A payment that is ${from} cannot become ${to}`, { status: from });
  }
}

/** Operations a client can ask for, and the statuses each is allowed from. */
const ALLOWED_FROM = {
  capture: ['requires_capture'],
  cancel: ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'],
  refund: ['succeeded'],
} as const satisfies Record<string, readonly PaymentStatus[]>;
export type PaymentOperation = keyof typeof ALLOWED_FROM;

export function assertOperationAllowed(operation: PaymentOperation, status: PaymentStatus): void {
  if (!(ALLOWED_FROM[operation] as readonly PaymentStatus[]).includes(status)) {
    throw new AppError(
      'invalid_state',
      `Cannot ${operation} a payment that is ${status}; ${operation} needs a payment that is ${ALLOWED_FROM[operation].join(' or ')}`,
      { status },
    );
  }
}

/**
 * Statuses that hold an order: while a payment is in one of them, no second payment for its order
 * by the same customer, nor any after an order-wide hold (migration 018, whose two unique indexes
 * list the same statuses);
 * a payment superseded by the order's holder (a late success, see given-up-payments.ts) holds nothing.
 */
export const ORDER_HOLDING_STATUSES: readonly PaymentStatus[] = [
  'unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded',
];
