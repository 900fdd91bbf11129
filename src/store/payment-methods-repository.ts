import type { SavedCard } from '../domain/models.js';
import type { Database, Queryable } from './database.js';
import type { SealedFields } from './sealed-field.js';

interface PaymentMethodRow {
  id: string;
  customer_id: string;
  card_brand: string;
  card_last4: string;
  exp_month: number | null;
  exp_year: number | null;
  cardholder_name: string | null;
  is_default: boolean;
  created_at: Date;
}

const COLUMNS = 'id, customer_id, card_brand, card_last4, exp_month, exp_year, cardholder_name, is_default, created_at';

export type SaveCardInput = Omit<SavedCard, 'isDefault' | 'createdAt'> & { makeDefault: boolean };

/**
 * Saved cards, the cardholder's name kept sealed (see SealedFields). Every change to a customer's
 * cards locks the customer row, so the default-card rules hold under concurrency.
 */
export class PaymentMethodsRepository {
  private readonly toSavedCard: (row: PaymentMethodRow) => SavedCard;

  constructor(
    private readonly db: Database,
    private readonly sealed: SealedFields,
  ) {
    this.toSavedCard = (row) => ({
      id: row.id,
      customerId: row.customer_id,
      brand: row.card_brand,
      last4: row.card_last4,
      expMonth: row.exp_month,
      expYear: row.exp_year,
      cardholderName: sealed.openNullable('payment_methods', 'cardholder_name', row.id, row.cardholder_name),
      isDefault: row.is_default,
      createdAt: row.created_at,
    });
  }

  async get(id: string): Promise<SavedCard | null> {
    const { rows } = await this.db.query<PaymentMethodRow>(`SELECT ${COLUMNS} FROM payment_methods WHERE id = $1`, [id]);
    return rows[0] ? this.toSavedCard(rows[0]) : null;
  }

  /** Default card first, then the order they were added. */
  async listForCustomer(customerId: string): Promise<SavedCard[]> {
    const { rows } = await this.db.query<PaymentMethodRow>(
      `SELECT ${COLUMNS} FROM payment_methods WHERE customer_id = $1 ORDER BY is_default DESC, created_at, id`,
      [customerId],
    );
    return rows.map(this.toSavedCard);
  }

  /**
   * Saves a card (or refreshes one already saved). The customer's first card becomes the default,
   * and so does any card saved with `makeDefault`. Answers the card and whether it was new, or null
   * when the card is saved for another customer.
   */
  async save(input: SaveCardInput): Promise<{ card: SavedCard; created: boolean; defaultChanged: boolean } | null> {
    return this.db.transaction(async (tx) => {
      await lockCustomer(tx, input.customerId);
      const existing = await tx.query<{ customer_id: string; is_default: boolean }>(
        'SELECT customer_id, is_default FROM payment_methods WHERE id = $1 FOR UPDATE',
        [input.id],
      );
      if (existing.rows[0] && existing.rows[0].customer_id !== input.customerId) return null;
      const { rows: defaults } = await tx.query<{ id: string }>(
        'SELECT id FROM payment_methods WHERE customer_id = $1 AND is_default',
        [input.customerId],
      );
      const becomesDefault = input.makeDefault || defaults.length === 0 || defaults[0]!.id === input.id;
      if (becomesDefault) {
        await tx.query('UPDATE payment_methods SET is_default = false, updated_at = now() WHERE customer_id = $1 AND is_default AND id <> $2', [
          input.customerId,
          input.id,
        ]);
      }
      const { rows } = await tx.query<PaymentMethodRow>(
        `INSERT INTO payment_methods (id, customer_id, card_brand, card_last4, exp_month, exp_year, cardholder_name, is_default)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET
           card_brand = EXCLUDED.card_brand, card_last4 = EXCLUDED.card_last4,
           exp_month = EXCLUDED.exp_month, exp_year = EXCLUDED.exp_year,
           cardholder_name = COALESCE(EXCLUDED.cardholder_name, payment_methods.cardholder_name),
           is_default = EXCLUDED.is_default, updated_at = now()
         RETURNING ${COLUMNS}`,
        [
          input.id,
          input.customerId,
          input.brand,
          input.last4,
          input.expMonth,
          input.expYear,
          this.sealed.sealNullable('payment_methods', 'cardholder_name', input.id, input.cardholderName),
          becomesDefault,
        ],
      );
      const card = this.toSavedCard(rows[0]!);
      const wasDefault = existing.rows[0]?.is_default ?? false;
      return { card, created: existing.rowCount === 0, defaultChanged: card.isDefault && !wasDefault };
    });
  }

  /** Makes one of the customer's cards the default; null when the customer has no such card. */
  async setDefault(customerId: string, id: string): Promise<SavedCard | null> {
    return this.db.transaction(async (tx) => {
      await lockCustomer(tx, customerId);
      const { rowCount } = await tx.query('SELECT 1 FROM payment_methods WHERE id = $1 AND customer_id = $2', [id, customerId]);
      if (rowCount === 0) return null;
      await tx.query('UPDATE payment_methods SET is_default = false, updated_at = now() WHERE customer_id = $1 AND is_default AND id <> $2', [
        customerId,
        id,
      ]);
      const { rows } = await tx.query<PaymentMethodRow>(
        `UPDATE payment_methods SET is_default = true, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return this.toSavedCard(rows[0]!);
    });
  }

  /**
   * Deletes one of the customer's cards and starts the customer's next card generation (the attach
   * key's part, so a card saved again is attached anew). When it was the default, the most recently
   * added remaining card becomes the default. Answers whether a card was deleted and which card was promoted.
   */
  async delete(customerId: string, id: string): Promise<{ deleted: boolean; promoted: SavedCard | null }> {
    return this.db.transaction(async (tx) => {
      await lockCustomer(tx, customerId);
      const { rows: deleted } = await tx.query<{ is_default: boolean }>(
        'DELETE FROM payment_methods WHERE id = $1 AND customer_id = $2 RETURNING is_default',
        [id, customerId],
      );
      if (!deleted[0]) return { deleted: false, promoted: null };
      await tx.query('UPDATE customers SET card_generation = card_generation + 1, updated_at = now() WHERE id = $1', [customerId]);
      if (!deleted[0].is_default) return { deleted: true, promoted: null };
      const { rows } = await tx.query<PaymentMethodRow>(
        `UPDATE payment_methods SET is_default = true, updated_at = now()
         WHERE id = (SELECT id FROM payment_methods WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)
         RETURNING ${COLUMNS}`,
        [customerId],
      );
      return { deleted: true, promoted: rows[0] ? this.toSavedCard(rows[0]) : null };
    });
  }
}

async function lockCustomer(tx: Queryable, customerId: string) {
  await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
}
