-- Keep in step with migrations/postgres/0021_model_cards.sql.
-- Model cards (issue #15 items 2 and 4): what a provider says about a model so people can read
-- its explanations (`mizan.model-card/1`: feature and output labels in English and Urdu,
-- units, steps, coded values, protected and immutable features, bounds, favourable side).
--
-- One row per card given, append-only: the newest row (highest `seq`) of a model is its card.
-- A card may be given or corrected only while no decision has been explained with the model
-- (`mizan-store` checks `explanations` in the same transaction); each row is also a system
-- event (`model-card`) carrying the card, so every correction is on the record.
CREATE TABLE model_cards (
    id           INTEGER PRIMARY KEY,
    model_id     INTEGER NOT NULL REFERENCES models(id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    card_json    TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT NOT NULL,
    at           TEXT NOT NULL,
    UNIQUE (model_id, seq)
);
CREATE TRIGGER model_cards_no_update BEFORE UPDATE ON model_cards
BEGIN SELECT RAISE(ABORT, 'model_cards is append-only'); END;
CREATE TRIGGER model_cards_no_delete BEFORE DELETE ON model_cards
BEGIN SELECT RAISE(ABORT, 'model_cards is append-only'); END;

-- When the decision's logged outcome contradicts the model's recomputed one: the explanation's
-- `contradiction` (JSON), for the provider's and the regulator's lists; NULL otherwise. Written
-- with the explanation, never updated, deleted with it on erasure.
ALTER TABLE explanations ADD COLUMN contradiction TEXT;
CREATE INDEX explanations_contradiction ON explanations(model_id) WHERE contradiction IS NOT NULL;
