-- Release keys and packages, shared by every host instance: key set 0 and the signed rotations
-- since as documents, and each accepted package whole beside its record and digest. An instance
-- serves a package from a local copy it made from here, checked against package_sha256.
CREATE TABLE release_documents (
    name text  PRIMARY KEY,
    body jsonb NOT NULL
);

CREATE TABLE release_packages (
    version        text  NOT NULL,
    architecture   text  NOT NULL,
    record         jsonb NOT NULL,
    package_sha256 text  NOT NULL,
    package        bytea NOT NULL,
    PRIMARY KEY (version, architecture)
);
