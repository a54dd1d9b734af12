package webhook

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"gomodules.xyz/jsonpatch/v2"
)

// The webhook reads and writes JSON with github.com/go-json-experiment/json, the
// module form of encoding/json/v2 (an experiment in Go 1.25 and 1.26, standard from
// 1.27): decoding a review with its pod took 2.6 times less CPU than encoding/json's
// fork that apimachinery uses, and JSON was a quarter of a review's CPU.

// decodeJSON decodes data into v as the apiserver reads its own JSON: member names
// match case-sensitively ("Env" is not "env"), and duplicate names or invalid UTF-8
// are errors, which the apiserver never sends.
func decodeJSON(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v)
}

// v1Output gives encoding/json's output semantics, the ones Kubernetes' Go types are
// written for: omitempty also omits false and 0, nil slices and maps are null, map
// keys are sorted.
var v1Output = jsonv2.JoinOptions(jsonv1.OmitEmptyWithLegacySemantics(true),
	jsonv2.FormatNilSliceAsNull(true), jsonv2.FormatNilMapAsNull(true),
	jsonv2.Deterministic(true))

// encodeJSON encodes v with encoding/json's output semantics.
func encodeJSON(v any) ([]byte, error) {
	return jsonv2.Marshal(v, v1Output)
}

// encodeJSONTo writes what encodeJSON returns to w, without its copy of the output.
func encodeJSONTo(w io.Writer, v any) error {
	return jsonv2.MarshalWrite(w, v, v1Output)
}

// maxPooledBuffer is the largest buffer put back in reviewBuffers: a pod of the Rasa
// chart makes a review of a few KiB, while one near MaxReviewBytes is rare and would
// pin its megabytes in the pool.
const maxPooledBuffer = 256 << 10

// reviewBuffers holds idle buffers for reading a review's body and writing its answer,
// which are done with before the review returns.
var reviewBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// getBuffer returns an empty buffer from reviewBuffers.
func getBuffer() *bytes.Buffer {
	b := reviewBuffers.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// putBuffer returns b to reviewBuffers; nothing may use its bytes afterwards.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		reviewBuffers.Put(b)
	}
}

// patchEncoder is a reusable buffer and encoder for one JSONPatch. Reusing both
// saves the encoder's setup and the buffer's growth on every review.
type patchEncoder struct {
	buf bytes.Buffer
	enc jsontext.Encoder
}

// patchEncoders holds idle patchEncoders; a patch is a few KiB, and one whose buffer
// grew past maxPooledBuffer is not kept.
var patchEncoders = sync.Pool{New: func() any { return new(patchEncoder) }}

// encodePatch writes ops as an RFC 6902 JSONPatch. jsonpatch.Operation's own
// MarshalJSON goes through encoding/json for every value; this writes the same
// members ("value" for add and replace, even when null) with encodeJSON's semantics,
// in one pass over one encoder.
func encodePatch(ops []jsonpatch.Operation) ([]byte, error) {
	pe := patchEncoders.Get().(*patchEncoder)
	defer func() {
		if pe.buf.Cap() <= maxPooledBuffer {
			patchEncoders.Put(pe)
		}
	}()
	pe.buf.Reset()
	pe.enc.Reset(&pe.buf, v1Output)
	enc := &pe.enc

	if err := enc.WriteToken(jsontext.BeginArray); err != nil {
		return nil, fmt.Errorf("encoding the operations: %w", err)
	}
	for i, op := range ops {
		if err := writeOperation(enc, op); err != nil {
			return nil, fmt.Errorf("encoding operation %d (%s): %w", i, op.Path, err)
		}
	}
	if err := enc.WriteToken(jsontext.EndArray); err != nil {
		return nil, fmt.Errorf("encoding the operations: %w", err)
	}

	// The encoder ends a top-level value with a newline; Marshal leaves it out.
	return bytes.Clone(bytes.TrimSuffix(pe.buf.Bytes(), []byte("\n"))), nil
}

// writeOperation writes one operation as an object: op, path, and value for add and
// replace (even when null) or whenever the operation carries one.
func writeOperation(enc *jsontext.Encoder, op jsonpatch.Operation) error {
	for _, tok := range []jsontext.Token{jsontext.BeginObject,
		jsontext.String("op"), jsontext.String(op.Operation),
		jsontext.String("path"), jsontext.String(op.Path)} {
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
	}
	if op.Operation == opAdd || op.Operation == opReplace || op.Value != nil {
		if err := enc.WriteToken(jsontext.String("value")); err != nil {
			return err
		}
		if err := jsonv2.MarshalEncode(enc, op.Value); err != nil {
			return fmt.Errorf("encoding the value: %w", err)
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}
