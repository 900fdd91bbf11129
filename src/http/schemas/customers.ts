import { Type, type Static } from '@sinclair/typebox';
import { CustomerId } from './common.js';

export const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'Email address; one customer per email, whatever its case.',
  examples: ['customer@example.com'],
});

export const CreateCustomerBody = Type.Object({
  email: Email,
  name: Type.Optional(Type.String({ maxLength: 200, description: 'Full name.', examples: ['John Doe'] })),
});
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

export const CustomerEmailParams = Type.Object({ email: Email });
export type CustomerEmailParams = Static<typeof CustomerEmailParams>;

export const CustomerData = Type.Object({ customerId: CustomerId });

/**
 * `{success, customerId, data: {customerId}}`: the API document's `data.customerId`, and the same id
 * at the top level, where the CommuneDrop web app reads it after registration.
 */
export const CustomerAnswer = Type.Object({
  success: Type.Literal(true),
  customerId: { ...CustomerId, description: 'The same as data.customerId, where the CommuneDrop web app reads it.' },
  data: CustomerData,
});
