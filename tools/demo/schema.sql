-- The demo's additions to the trades table that scripts/pg-temp.sh creates:
-- the client order id that makes order entry idempotent (order_service fills
-- each id once, so the gateway may retry another replica after any failure).
-- Applied by stack.sh once the database is up; safe to apply again.
ALTER TABLE trades ADD COLUMN IF NOT EXISTS client_order_id text;
CREATE UNIQUE INDEX IF NOT EXISTS trades_client_order_id_key ON trades (client_order_id);
