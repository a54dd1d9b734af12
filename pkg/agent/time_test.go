package agent

import "time"

// timeZero is a fixed instant for tests that need one.
var timeZero = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
