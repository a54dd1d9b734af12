package webhook

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The replicas of one pod template do not reach admission byte for byte the same: the
// ServiceAccount admission plugin, which runs before webhooks, names each pod's token
// volume kube-api-access-<5 random characters> (and mounts it under that name in every
// container), and metadata.managedFields carries the second of the request. A
// PatchCache key leaves both out, so that a Deployment's replicas share one entry:
// the webhook never reads either, and an entry whose answer would mention them is not
// kept (see PatchCache.add and hashRegion).

// tokenVolumePrefix starts the ServiceAccount token volume's name, as a JSON string.
const tokenVolumePrefix = `"` + tokenVolumeMarker

// tokenVolumeMarker is that prefix as text. A pod or ConfigMap key that holds it
// anywhere but in a whole name could make the answer depend on the name: no key.
const tokenVolumeMarker = "kube-api-access-"

// tokenVolumeSuffixLen is the length of the random part of that name.
const tokenVolumeSuffixLen = 5

// tokenVolumePlaceholder stands for the token volume's name in the hashed bytes. It
// cannot occur in valid JSON, so no other string hashes the same.
var tokenVolumePlaceholder = []byte{0}

// podKey is a pod's PatchCache key and the token volume name that it left out.
type podKey struct {
	key patchKey
	// tokenVolume is the kube-api-access name replaced in the hash, or "".
	tokenVolume string
}

// keyOf returns the PatchCache key of a pod of namespace whose JSON is raw: the SHA-256
// of the namespace and raw without metadata.managedFields and with the one
// kube-api-access-* name replaced. It fails for JSON the apiserver would not send: not
// an object, an alphanumeric character written as a \u escape (the normalization below
// relies on names being written plainly), two different kube-api-access-* names, the
// marker inside a longer string, or managedFields that corev1.Pod would not decode
// (a full review of that pod fails, so a reused answer must not pass it).
func keyOf(namespace string, raw []byte) (podKey, error) {
	kr := getKeyer()
	defer kr.put()
	from, to, err := kr.managedFieldsSpan(raw)
	if err != nil {
		return podKey{}, err
	}
	if err := checkManagedFields(raw[from:to]); err != nil {
		return podKey{}, err
	}
	return kr.hashRegion(namespace, raw, from, to)
}

// hashRegion returns the key of region, the pod's JSON and possibly what follows it,
// in namespace: the SHA-256 of the namespace and region without region[from:to] (the
// managedFields value) and with the one token volume name replaced; see keyOf for the
// errors, except that it leaves the managedFields to checkManagedFields.
func (kr *keyer) hashRegion(namespace string, region []byte, from, to int) (podKey, error) {
	if escapesAlphanumeric(region) {
		return podKey{}, errors.New("the pod's JSON escapes an alphanumeric character")
	}
	if bytes.IndexByte(region, tokenVolumePlaceholder[0]) >= 0 {
		// Not JSON, and the placeholder's byte: it could stand where a name was.
		return podKey{}, errors.New("the pod's JSON holds a NUL byte")
	}
	h := kr.hash
	h.Reset()
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	var name []byte
	for _, part := range [][]byte{region[:from], region[to:]} {
		replaced := 0
		var err error
		if name, replaced, err = hashPart(h, part, name); err != nil {
			return podKey{}, err
		}
		if bytes.Count(part, []byte(tokenVolumeMarker)) != replaced {
			return podKey{}, errors.New("the pod holds " + tokenVolumeMarker +
				" inside a longer string")
		}
		h.Write([]byte{0})
	}
	k := podKey{key: patchKey{namespace: namespace}, tokenVolume: string(name)}
	h.Sum(k.key.sum[:0])
	return k, nil
}

// keyer holds what keyOf reuses from one pod to the next: the decoder keeps the
// tables it checks member names with, which are most of a fresh one's allocations.
type keyer struct {
	buf  bytes.Buffer
	dec  jsontext.Decoder
	hash hash.Hash
}

// keyers holds idle keyers.
var keyers = sync.Pool{New: func() any { return &keyer{hash: sha256.New()} }}

// getKeyer returns an idle keyer.
func getKeyer() *keyer { return keyers.Get().(*keyer) }

// put returns kr to keyers, unless its buffer grew past maxPooledBuffer.
func (kr *keyer) put() {
	if kr.buf.Cap() <= maxPooledBuffer {
		keyers.Put(kr)
	}
}

// reset points kr's decoder at a copy of data: the decoder reads a *bytes.Buffer in
// place.
func (kr *keyer) reset(data []byte) *jsontext.Decoder {
	kr.buf.Reset()
	kr.buf.Write(data)
	kr.dec.Reset(&kr.buf)
	return &kr.dec
}

// hashPart writes part to h with every token volume name replaced by the placeholder,
// and counts them. name is the name met before, if any; hashPart returns it, or the
// first one it met. A second, different name is an error.
func hashPart(h hash.Hash, part, name []byte) (_ []byte, replaced int, _ error) {
	for ; ; replaced++ {
		at, found := nextTokenVolume(part)
		if at < 0 {
			h.Write(part)
			return name, replaced, nil
		}
		if name != nil && !bytes.Equal(name, found) {
			return nil, 0, fmt.Errorf("the pod names two token volumes, %s and %s", name,
				found)
		}
		name = found
		h.Write(part[:at])
		h.Write(tokenVolumePlaceholder)
		part = part[at+len(found)+2:]
	}
}

// nextTokenVolume finds the next JSON string in data that is a whole kube-api-access-*
// name: its offset (at its opening quote) and the name, or -1. A quote preceded by a
// backslash is inside another string, not the start of one.
func nextTokenVolume(data []byte) (int, []byte) {
	for searched := 0; ; {
		i := bytes.Index(data[searched:], []byte(tokenVolumePrefix))
		if i < 0 {
			return -1, nil
		}
		at := searched + i
		searched = at + 1
		end := at + len(tokenVolumePrefix) + tokenVolumeSuffixLen
		if (at > 0 && data[at-1] == '\\') || end >= len(data) || data[end] != '"' {
			continue
		}
		if allLowerAlnum(data[at+len(tokenVolumePrefix) : end]) {
			return at, data[at+1 : end]
		}
	}
}

// allLowerAlnum reports whether every byte of b is a lower-case letter or a digit.
func allLowerAlnum(b []byte) bool {
	for _, c := range b {
		if !isLowerAlnum(c) {
			return false
		}
	}
	return true
}

// isLowerAlnum reports whether c is a lower-case letter or a digit.
func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// escapesAlphanumeric reports whether data holds a \u00XX escape of a letter, a digit or
// a hyphen, which the apiserver's encoder writes plainly. (An escaped backslash
// followed by "u00" counts too; such a pod is merely reviewed in full.)
func escapesAlphanumeric(data []byte) bool {
	for searched := 0; ; {
		i := bytes.Index(data[searched:], []byte(`\u00`))
		if i < 0 {
			return false
		}
		at := searched + i + len(`\u00`)
		searched = at
		if at+2 > len(data) {
			return false
		}
		hi, lo := unhex(data[at]), unhex(data[at+1])
		if hi < 0 || lo < 0 {
			continue
		}
		c := byte(hi<<4 | lo)
		if c == '-' || isLowerAlnum(c) || 'A' <= c && c <= 'Z' {
			return true
		}
	}
}

// unhex is the value of the hexadecimal digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// checkManagedFields decodes span, the managedFields member's colon and value, as
// decoding the pod would, and returns its error. A key leaves managedFields out, so a
// pod whose managedFields fail this must not be given a stored answer: a full review
// of it fails.
func checkManagedFields(span []byte) error {
	value := bytes.TrimLeft(span, ": \t\r\n")
	if len(value) == 0 {
		return nil
	}
	var entries []metav1.ManagedFieldsEntry
	if err := decodeJSON(value, &entries); err != nil {
		return fmt.Errorf("decoding metadata.managedFields: %w", err)
	}
	return nil
}

// managedFieldsSpan returns the offsets in raw, a JSON object, of the value of its
// metadata.managedFields member (from the end of the name to the end of the value), or
// an empty span at the end when there is none. It reads no further than metadata: the
// rest is hashed as it is, so only a pod with the very same bytes there shares a key,
// and an answer is stored only for a pod that decoded whole.
func (kr *keyer) managedFieldsSpan(raw []byte) (from, to int, err error) {
	dec := kr.reset(raw)
	from, to, err = podManagedFields(dec, len(raw))
	if err != nil && !errors.Is(err, errScanned) {
		return 0, 0, fmt.Errorf("scanning the pod's JSON: %w", err)
	}
	return from, to, nil
}

// podManagedFields reads the pod object at dec up to the end of its metadata and
// returns the offsets of the managedFields value, or end twice when there is none.
// Having read metadata it returns errScanned, to stop any scan around it.
func podManagedFields(dec *jsontext.Decoder, end int) (from, to int, err error) {
	from, to = end, end
	err = eachMember(dec, func(name []byte) error {
		if string(name) != `"metadata"` || dec.PeekKind() != '{' {
			return dec.SkipValue()
		}
		err := eachMember(dec, func(name []byte) error {
			if string(name) != `"managedFields"` {
				return dec.SkipValue()
			}
			from = int(dec.InputOffset())
			err := dec.SkipValue()
			to = int(dec.InputOffset())
			if err == nil {
				err = errScanned
			}
			return err
		})
		if err == nil {
			err = errScanned
		}
		return err
	})
	return from, to, err
}

// errScanned stops managedFieldsSpan's scan once metadata has been read.
var errScanned = errors.New("metadata scanned")

// eachMember reads the object at dec, calling member with each name as raw JSON; member
// must read the value.
func eachMember(dec *jsontext.Decoder, member func(name []byte) error) error {
	if tok, err := dec.ReadToken(); err != nil {
		return err
	} else if tok.Kind() != '{' {
		return fmt.Errorf("got %v, want an object", tok.Kind())
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}
