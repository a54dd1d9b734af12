// Command bench measures rasa-vault-webhook side by side with what a user would pick
// instead, in one run on one machine: the admission webhook against the vault-k8s
// injector, the init container and renewal agent against `vault agent`, the requests
// each puts on Vault, and the size of what ships. It prints a markdown table and writes
// it to a file. test/bench/run.sh builds its inputs and runs it; docs/benchmarks.md
// explains the numbers.
//
// Every server it starts listens on 127.0.0.1 only and is stopped before it returns.
package main
