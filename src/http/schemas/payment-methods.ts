import { Type, type Static } from '@sinclair/typebox';
import { CustomerId, PaymentMethodId } from './common.js';

export const AttachPaymentMethodBody = Type.Object({ customerId: CustomerId, paymentMethodId: PaymentMethodId });
export type AttachPaymentMethodBody = Static<typeof AttachPaymentMethodBody>;

export const PaymentMethodDetailsBody = Type.Object({
  customerId: CustomerId,
  paymentMethodId: PaymentMethodId,
  cardholderName: Type.Optional(
    Type.String({ maxLength: 200, description: 'The name on the card; "Card Holder" (the web app\'s placeholder) keeps the processor\'s.', examples: ['John Doe'] }),
  ),
  last4: Type.Optional(
    Type.String({ pattern: '^([0-9]{4}|\\*{4})$', description: 'Last four digits of the card, or "****" when the client does not know them.', examples: ['4242'] }),
  ),
  cardType: Type.Optional(
    Type.String({
      maxLength: 40,
      description: 'Card brand: visa, mastercard, amex, discover, diners, jcb, unionpay... as Stripe names them (link and unknown included).',
      examples: ['visa'],
    }),
  ),
  expiryDate: Type.Optional(
    Type.String({ maxLength: 10, description: 'M/YY or MM/YY, not in the past; "**/**" when the client does not know it.', examples: ['12/34'] }),
  ),
  isDefault: Type.Optional(Type.Boolean({ description: 'Make this the customer\'s default card.' })),
});
export type PaymentMethodDetailsBody = Static<typeof PaymentMethodDetailsBody>;

export const SetDefaultPaymentMethodBody = Type.Object({
  customerId: CustomerId,
  paymentMethodId: PaymentMethodId,
  isDefault: Type.Literal(true, { description: 'Must be true: the card becomes the default and the previous default stops being one.' }),
});
export type SetDefaultPaymentMethodBody = Static<typeof SetDefaultPaymentMethodBody>;

export const CustomerIdParams = Type.Object({ customerId: CustomerId });
export type CustomerIdParams = Static<typeof CustomerIdParams>;

export const AttachedPaymentMethod = Type.Object({
  payment_method_id: PaymentMethodId,
  card_last4: Type.String({ examples: ['4242'] }),
  card_brand: Type.String({ examples: ['visa'] }),
});

export const SavedPaymentMethod = Type.Object({
  payment_method_id: PaymentMethodId,
  card_last4: Type.String({ examples: ['4242'] }),
  card_brand: Type.String({ examples: ['visa'] }),
  cardholder_name: Type.Union([Type.String(), Type.Null()], { examples: ['John Doe'] }),
  expiry_date: Type.Union([Type.String(), Type.Null()], { description: 'MM/YY', examples: ['12/34'] }),
  is_default: Type.Boolean(),
});

export const DeletedPaymentMethod = Type.Object({
  success: Type.Literal(true),
  message: Type.String({ examples: ['Payment method deleted successfully'] }),
});
