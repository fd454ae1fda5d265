-- 0002: the sender looks up the oldest pending message of each chat.
CREATE INDEX outbox_chat_pending ON outbox(chat_id, status, id);
