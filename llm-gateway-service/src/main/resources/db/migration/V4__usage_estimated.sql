-- A stream that ended without the provider's count (its client left before the last chunk): estimated tokens.
ALTER TABLE usage ADD COLUMN usage_estimated BOOLEAN NOT NULL DEFAULT FALSE;
