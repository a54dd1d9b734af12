package endpoints

// Problem is one thing wrong with an endpoints.yml that stops the webhook from resolving
// it. Field names the place in the document; Message says what is wrong and how to fix it.
type Problem struct {
	// Field is the dotted path from the document root, sequence indexes written as [i],
	// e.g. "tracker_store.password.secret_key".
	Field string
	// Message says what is wrong and what to write instead.
	Message string
	// Line is the 1-based line in endpoints.yml the problem points at, 0 when unknown.
	Line int
}

// String formats the problem as "field: message", the form used in denials and logs.
func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}
