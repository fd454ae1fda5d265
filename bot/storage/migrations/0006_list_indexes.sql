-- Lists of requests (issue 11): what is on offer to a person is found by index, not by scanning
-- every offer; an owner's list, newest first, reads one index range.
CREATE INDEX IF NOT EXISTS offers_person ON offers(person_id, active, request_id);
CREATE INDEX IF NOT EXISTS requests_owner_newest ON requests(owner_id, id);
