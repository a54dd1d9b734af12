package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/json"
)

// maxResponseBytes caps a response body. The apiserver refuses a ConfigMap above
// 1 MiB of data (etcd's request limit is 1.5 MiB), so 4 MiB leaves room for JSON
// escaping and metadata while a broken server or proxy cannot exhaust our memory.
const maxResponseBytes = 4 << 20

// maxErrorSnippet caps how much of a non-Status error body is quoted in an error.
const maxErrorSnippet = 512

// target names what a GET reads, for errors shaped like client-go's.
type target struct {
	resource schema.GroupResource
	name     string
}

// get fetches path from the apiserver and decodes the JSON response into into. A
// non-2xx answer becomes a *apierrors.StatusError: the server's own Status when it
// sent one, else one derived from the HTTP status code, as client-go does. It does
// not retry; the caller bounds it with ctx.
func (c *Client) get(ctx context.Context, path string, what target, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.host+path, nil)
	if err != nil {
		return fmt.Errorf("building GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if err := c.creds.apply(req); err != nil {
		return fmt.Errorf("authenticating GET %s: %w", path, err)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return err // a *url.Error naming the method and URL, never the headers
	}
	defer func() { _ = resp.Body.Close() }()

	body, err := readCapped(resp.Body, maxResponseBytes)
	if err != nil {
		return fmt.Errorf("reading the response to GET %s: %w", path, err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(resp, body, path, what)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decoding the response to GET %s: %w", path, err)
	}
	return nil
}

// errBodyTooLarge reports a response past maxResponseBytes.
var errBodyTooLarge = errors.New("response body exceeds the 4 MiB limit " +
	"(a ConfigMap holds at most 1 MiB); check the server URL and any proxy in between")

// readCapped reads r to its end, failing once it passes limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, errBodyTooLarge
	}
	return body, nil
}

// responseError turns a non-2xx response into an error that apierrors.IsNotFound,
// IsForbidden and the like recognise.
func responseError(resp *http.Response, body []byte, path string, what target) error {
	var status metav1.Status
	err := json.Unmarshal(body, &status)
	if err == nil && status.Kind == "Status" && status.Status != metav1.StatusSuccess {
		if status.Code == 0 {
			status.Code = int32(resp.StatusCode)
		}
		return apierrors.FromObject(&status)
	}

	retryAfter, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	generic := apierrors.NewGenericServerResponse(resp.StatusCode, http.MethodGet,
		what.resource, what.name, snippet(body), retryAfter, true)
	return fmt.Errorf("GET %s: HTTP %s without a Kubernetes Status: %w",
		path, resp.Status, generic)
}

// snippet returns the start of body for an error message.
func snippet(body []byte) string {
	if len(body) > maxErrorSnippet {
		return string(body[:maxErrorSnippet]) + "…"
	}
	return string(body)
}
