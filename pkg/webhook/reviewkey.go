package webhook

import (
	"bytes"
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// errNotKeyed: the review is not the CREATE of a pod in a namespace, written with
// kind, subResource, operation and namespace before the object as the apiserver
// writes them, so it gets no PatchCache key.
var errNotKeyed = errors.New("not a pod create with its namespace before its object")

// reviewKey returns the PatchCache key of the pod in body, an AdmissionReview, before
// the review is decoded: a pod the cache holds is then left raw, and any other is
// decoded in the same pass as the review, as without a cache. It reads the request's
// members up to the pod's metadata and hashes body from the pod on, so the request's
// UID, user and other members before the pod are left out, and the members after it
// (oldObject, dryRun, options) are in; otherwise it is keyOf's key, with keyOf's
// errors but one: it returns the managedFields value's span of body unchecked, for
// checkManagedFields before a stored answer is used. (A pod the cache does not hold
// is decoded whole, managedFields included, so checking them here too would only cost
// every new pod the time.)
func reviewKey(body []byte) (podKey, []byte, error) {
	kr := getKeyer()
	defer kr.put()
	dec := kr.reset(body)

	var (
		namespace, subResource string
		operation              admissionv1.Operation
		kind                   metav1.GroupVersionKind
		start, from, to        = -1, 0, 0
	)
	err := eachMember(dec, func(name []byte) error {
		if bytes.IndexByte(name, '\\') >= 0 {
			// An escaped name may be one of those below, which the decoder unescapes.
			return errNotKeyed
		}
		if string(name) != `"request"` || dec.PeekKind() != '{' {
			return dec.SkipValue()
		}
		return eachMember(dec, func(name []byte) error {
			if bytes.IndexByte(name, '\\') >= 0 {
				return errNotKeyed
			}
			switch string(name) {
			case `"namespace"`:
				return jsonv2.UnmarshalDecode(dec, &namespace)
			case `"kind"`:
				return jsonv2.UnmarshalDecode(dec, &kind)
			case `"subResource"`:
				return jsonv2.UnmarshalDecode(dec, &subResource)
			case `"operation"`:
				return jsonv2.UnmarshalDecode(dec, &operation)
			case `"object"`:
				if !isPodCreate(kind, subResource, operation) || namespace == "" ||
					dec.PeekKind() != '{' {
					return errNotKeyed
				}
				start = int(dec.InputOffset())
				var err error
				from, to, err = podManagedFields(dec, len(body))
				return err
			}
			return dec.SkipValue()
		})
	})
	switch {
	case errors.Is(err, errNotKeyed):
		return podKey{}, nil, errNotKeyed
	case err != nil && !errors.Is(err, errScanned):
		return podKey{}, nil, fmt.Errorf("scanning the review: %w", err)
	case start < 0:
		return podKey{}, nil, errNotKeyed
	}
	key, err := kr.hashRegion(namespace, body[start:], from-start, to-start)
	return key, body[from:to], err
}
