-- ListAuditEvents filtered by actor or by kind reads these, from the page's first sequence number on,
-- and stops when its page is full. Without them such a filter walked the trail's primary key from
-- the page token until enough changes matched: a rare actor or kind read the whole trail on every page.
--
-- Built in the migration's transaction: registry writes (each appends to the trail) wait while they are
-- built (a few seconds per 1,000,000 audit records). An installation with a long trail builds them
-- beforehand, without blocking writes (registry-service's README, "Upgrading"); IF NOT EXISTS then
-- skips them here. A lock not granted within 5 s fails the migration, and so the service's start,
-- rather than queue every registry write behind it: the start is retried.
SET LOCAL lock_timeout = '5s';
CREATE INDEX IF NOT EXISTS audit_events_actor_idx ON audit_events (actor, seq);
CREATE INDEX IF NOT EXISTS audit_events_type_idx ON audit_events (type, seq);
