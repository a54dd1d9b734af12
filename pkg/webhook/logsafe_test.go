package webhook

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

func TestLogSafeKeepsPointersAndHidesValues(t *testing.T) {
	tests := []struct{ in, want string }{
		{`no quotes at all`, `no quotes at all`},
		{`parsing time "s.SECRET" as "2006": bad within "/metadata/creationTimestamp"`,
			`parsing time "(8 bytes)" as "(4 bytes)": bad within "/metadata/creationTimestamp"`},
		{`parsing time "/s.SECRET": bad within "/metadata/creationTimestamp"`,
			`parsing time "(9 bytes)": bad within "/metadata/creationTimestamp"`},
		{`bad within "/spec/nodeSelector/s.SECRET/x"`, `bad within "/spec/nodeSelector/…"`},
		{`bad within "/spec/containers/0/env/3/value"`,
			`bad within "/spec/containers/0/env/3/value"`},
		{`duplicate object member name "s.SECRET"`,
			`duplicate object member name "(8 bytes)"`},
		{`escaped "a\"b" then "/x"`, `escaped "(4 bytes)" then "(2 bytes)"`},
		{`unterminated "s.SECRET and more`, `unterminated "(17 bytes)`},
		{`jsontext: invalid character 'S' after object value`,
			`jsontext: invalid character '…' after object value`},
		{`jsontext: invalid character '\x00' at start of value within "/spec/x"`,
			`jsontext: invalid character '…' at start of value within "/spec/x"`},
	}
	for _, tt := range tests {
		if got := logSafe(errors.New(tt.in)).Error(); got != tt.want {
			t.Errorf("logSafe(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	if logSafe(nil) != nil {
		t.Error("logSafe(nil) is not nil")
	}
}

// TestAPodThatDoesNotDecodeIsLoggedWithoutItsValues: the errors of a pod that does not
// decode quote its values. The answer may show them to whoever sent the pod; the log
// line keeps the request's context and the JSON pointer, never the value.
func TestAPodThatDoesNotDecodeIsLoggedWithoutItsValues(t *testing.T) {
	const secret = "s.PLANTED-in-a-bad-pod"
	pod, cm := chartFixture(t)
	base := requestMembers(t, pod)
	order := []string{"uid", "kind", "resource", "namespace", "operation", "object"}
	objects := map[string]string{
		"a timestamp that does not parse": strings.Replace(base["object"], `"metadata":{`,
			`"metadata":{"creationTimestamp":"`+secret+`",`, 1),
		"a label key given twice": strings.Replace(base["object"], `"metadata":{`,
			`"metadata":{"labels":{"`+secret+`":"a","`+secret+`":"b"},`, 1),
	}
	for name, object := range objects {
		t.Run(name, func(t *testing.T) {
			members := maps.Clone(base)
			members["object"] = object
			var logs strings.Builder
			h := newHandler(cm)
			h.Logger = captureLogs(&logs)

			status, answer := post(t, h, http.MethodPost, "application/json",
				reviewJSON(t, order, members))
			if status != http.StatusOK || answer == nil || answer.Response == nil {
				t.Fatalf("HTTP %d without an answer", status)
			}
			resp := answer.Response
			if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusBadRequest ||
				!strings.HasPrefix(resp.Result.Message, "decoding the AdmissionReview: "+
					"decoding the pod: ") {
				t.Errorf("want a 400 naming the pod, got %+v", resp.Result)
			}
			line := logs.String()
			if strings.Contains(line, secret) {
				t.Errorf("the log line carries the pod's value: %s", line)
			}
			for _, want := range []string{`"namespace"="assistants"`, `"operation"="CREATE"`,
				`"/request/object/metadata`} {
				if !strings.Contains(line, want) {
					t.Errorf("the log line lacks %s: %s", want, line)
				}
			}
		})
	}
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (f failingReader) GetConfigMap(context.Context, string, string) (*corev1.ConfigMap,
	error,
) {
	return nil, f.err
}

// TestErrorsOfTheWebhooksOwnAreLoggedWhole: only errors that quote the request's JSON
// go through logSafe; an apiserver that cannot be reached is logged with its URL, which
// the operator needs.
func TestErrorsOfTheWebhooksOwnAreLoggedWhole(t *testing.T) {
	pod, _ := chartFixture(t)
	const url = `Get "https://10.96.0.1/api/v1/namespaces/assistants/configmaps/x"`
	var logs strings.Builder
	h := &Handler{Reader: failingReader{err: errors.New(url + ": connection refused")},
		Options: inject.DefaultOptions(), Logger: captureLogs(&logs)}

	resp := h.Handle(context.Background(), podRequest(t, pod))
	if resp.Allowed {
		t.Fatal("a pod whose ConfigMap could not be read was allowed")
	}
	if !strings.Contains(logs.String(), "https://10.96.0.1/api/v1/namespaces") {
		t.Errorf("the log line lost the apiserver's URL: %s", &logs)
	}
}
