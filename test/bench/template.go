package main

// vaultTemplate renders the resolved endpoints.yml from the KV v2 secret the sample's
// endpoints.yml references: the same file our agent writes, in consul-template syntax.
// Both vault-k8s's annotation and the `vault agent` runs use it.
const vaultTemplate = `{{- with secret "secret/data/rasa-secrets" -}}
tracker_store:
  type: SQL
  dialect: "postgresql"
  url: postgres.assistants.svc
  db: rasa
  username: {{ .Data.data.sql_store_username }}
  password: {{ .Data.data.sql_store_password }}
{{- end }}
`
