// Package endpoints reads a Rasa endpoints.yml, finds the secrets_manager section and
// every Vault reference in it, and renders a resolved copy for the assistant.
//
// The document is kept as a gopkg.in/yaml.v3 node tree, so sections, key order,
// comments and keys this package does not know survive a round trip. A reference is a
// mapping of the form
//
//	password:
//	  source: secrets_manager.vault
//	  secret_key: sql_store_password
//	  transit_key: rasa-tracker   # optional
//
// References are looked for in every section but secrets_manager. Rasa itself resolves
// them only under tracker_store; resolving lock_store, event_broker and the rest too is
// this product's addition. A reference reached through a YAML alias is listed once per
// place it appears, each with its own path, and following aliases is capped so that an
// alias bomb costs bounded time and memory.
//
// The resolved copy replaces each reference with its value as a double-quoted scalar,
// so neither Rasa's ${VAR} expansion nor YAML typing can change it, and drops the
// secrets_manager section because the assistant no longer talks to Vault.
//
// Known limits, all from gopkg.in/yaml.v3: blank lines between sections are not kept;
// a comment in an unusual place may move to a neighbouring key (and if the encoder
// cannot write it back readably, the file is written without comments rather than
// wrong); and the non-specific tag "!" is not visible in the node tree, so a plain
// "! ${VAR}" is treated as plain by SecretsManager where Rasa would not expand it.
package endpoints
