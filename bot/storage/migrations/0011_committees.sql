-- 0011: industry chains' party committees (行业党委): a fourth role, 'committee', and the
-- chain(s) each committee member serves. person_roles is rebuilt (SQLite cannot change a
-- CHECK in place) keeping every row; no table refers to it.

CREATE TABLE person_roles_new (
    person_id INTEGER NOT NULL REFERENCES people(id),
    role      TEXT    NOT NULL
              CHECK (role IN ('owner', 'commissioner', 'supervisor', 'committee')),
    active    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (person_id, role)
);
INSERT INTO person_roles_new (person_id, role, active)
SELECT person_id, role, active FROM person_roles;
DROP TABLE person_roles;
ALTER TABLE person_roles_new RENAME TO person_roles;

-- The chains a committee member serves; `chain` matches enterprises.chain.
CREATE TABLE IF NOT EXISTS committee_chains (
    person_id INTEGER NOT NULL REFERENCES people(id),
    chain     TEXT    NOT NULL,
    PRIMARY KEY (person_id, chain)
);
CREATE INDEX IF NOT EXISTS committee_chains_chain ON committee_chains(chain, person_id);
CREATE INDEX IF NOT EXISTS enterprises_chain ON enterprises(chain, id);
CREATE INDEX IF NOT EXISTS requests_enterprise ON requests(enterprise_id, id);
