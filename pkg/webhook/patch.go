package webhook

import (
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// JSONPatch operations, RFC 6902. "add" on an object member creates or replaces it, so
// it is used wherever the raw pod may or may not carry the member.
const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// podPatch returns the JSONPatch that turns pod, as the apiserver sent it, into mutated,
// written only for the places pkg/inject changes: annotations, volumes appended, init
// containers prepended, containers appended, and each container's env and volume
// mounts. Everything else of the raw pod, fields this webhook's types do not know
// included, is left as sent: diffing whole pods instead cost a quarter of a review's
// CPU and removed such fields.
//
// ok is false when mutated differs from pod anywhere else; the caller must then diff
// the whole pods. Values in the operations share memory with mutated.
func podPatch(pod, mutated *corev1.Pod) (ops []jsonpatch.Operation, ok bool) {
	if !onlyExpectedChanges(pod, mutated) {
		return nil, false
	}

	// Room for the usual patch: annotations, volumes, init containers, and for each
	// container its env and mounts; append grows it past that.
	ops = make([]jsonpatch.Operation, 0, 4+2*len(pod.Spec.Containers))
	ops = annotationOps(ops, pod.Annotations, mutated.Annotations)
	ops = appendOps(ops, "/spec/volumes", len(pod.Spec.Volumes), mutated.Spec.Volumes)
	ops = prependOps(ops, "/spec/initContainers", len(pod.Spec.InitContainers),
		mutated.Spec.InitContainers)
	for i := range pod.Spec.Containers {
		before, after := &pod.Spec.Containers[i], &mutated.Spec.Containers[i]
		path := "/spec/containers/" + strconv.Itoa(i)
		ops = envOps(ops, path+"/env", before.Env, after.Env)
		ops = mountOps(ops, path+"/volumeMounts", before.VolumeMounts, after.VolumeMounts)
	}
	ops = appendOps(ops, "/spec/containers", len(pod.Spec.Containers),
		mutated.Spec.Containers)
	if len(ops) == 0 {
		return nil, true // no change is no operations, not an empty list
	}
	return ops, true
}

// onlyExpectedChanges reports whether mutated equals pod once the changes podPatch
// writes are taken back: annotations, appended volumes, prepended init containers,
// appended containers, and containers' env and volume mounts. Of the pod it copies
// only the container structs, not what they point to.
func onlyExpectedChanges(pod, mutated *corev1.Pod) bool {
	spec, got := &pod.Spec, &mutated.Spec
	added := len(got.InitContainers) - len(spec.InitContainers)
	if len(got.Volumes) < len(spec.Volumes) || added < 0 ||
		len(got.Containers) < len(spec.Containers) {
		return false
	}

	rest := *mutated
	rest.Annotations = pod.Annotations
	rest.Spec.Volumes = sameOrEmpty(got.Volumes[:len(spec.Volumes)], spec.Volumes)
	rest.Spec.InitContainers = sameOrEmpty(got.InitContainers[added:], spec.InitContainers)
	rest.Spec.Containers = slices.Clone(got.Containers[:len(spec.Containers)])
	for i := range rest.Spec.Containers {
		rest.Spec.Containers[i].Env = spec.Containers[i].Env
		rest.Spec.Containers[i].VolumeMounts = spec.Containers[i].VolumeMounts
	}
	rest.Spec.Containers = sameOrEmpty(rest.Spec.Containers, spec.Containers)

	// Deep equality, not equality.Semantic (which cost three times reflect.DeepEqual, and
	// deepEqual costs half of that): exact here because pkg/inject's copy shares or
	// copies whatever it left alone, so that is identical, mostly the same pointers.
	return deepEqual(&rest, pod)
}

// sameOrEmpty is s, or the pod's own empty slice (nil or not) when s is empty, so that
// an empty slice and a nil one do not count as a change.
func sameOrEmpty[T any](s, pods []T) []T {
	if len(s) == 0 {
		return pods
	}
	return s
}

// annotationOps sets and removes single annotations, or adds the whole map when the
// pod has none (its metadata may then lack the member or hold null; metadata itself is
// there, as the pod's name or generateName is). Keys are sorted so the patch is the
// same for the same pod.
func annotationOps(
	ops []jsonpatch.Operation, before, after map[string]string,
) []jsonpatch.Operation {
	const path = "/metadata/annotations"
	if len(before) == 0 {
		if len(after) == 0 {
			return ops
		}
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}

	keys := make([]string, 0, len(after))
	for key, value := range after {
		if old, found := before[key]; !found || old != value {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		op := opReplace
		if _, found := before[key]; !found {
			op = opAdd
		}
		ops = append(ops, jsonpatch.Operation{Operation: op,
			Path: path + "/" + escapePointer(key), Value: after[key]})
	}

	keys = keys[:0]
	for key := range before {
		if _, found := after[key]; !found {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		ops = append(ops, jsonpatch.Operation{Operation: opRemove,
			Path: path + "/" + escapePointer(key)})
	}
	return ops
}

// appendOps adds the elements of after beyond the first had ones to the end of the
// array at path, or adds the whole array when the pod had none: the raw pod may then
// lack the member, or hold null or [].
func appendOps[T any](
	ops []jsonpatch.Operation, path string, had int, after []T,
) []jsonpatch.Operation {
	if len(after) == had {
		return ops
	}
	if had == 0 {
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}
	for i := had; i < len(after); i++ {
		ops = append(ops, jsonpatch.Operation{Operation: opAdd, Path: path + "/-",
			Value: after[i]})
	}
	return ops
}

// prependOps inserts the first len(after)-had elements of after at the front of the
// array at path, in order, or adds the whole array when the pod had none.
func prependOps[T any](
	ops []jsonpatch.Operation, path string, had int, after []T,
) []jsonpatch.Operation {
	added := len(after) - had
	if added == 0 {
		return ops
	}
	if had == 0 {
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}
	for i := range added {
		ops = append(ops, jsonpatch.Operation{Operation: opAdd,
			Path: path + "/" + strconv.Itoa(i), Value: after[i]})
	}
	return ops
}

// envOps writes a container's changed env. When after is before with entries taken
// out, as when variables move to the injected containers, it removes those entries
// alone (last first, so the indexes hold), leaving the others as sent; otherwise it
// sets the whole list.
func envOps(
	ops []jsonpatch.Operation, path string, before, after []corev1.EnvVar,
) []jsonpatch.Operation {
	switch {
	case len(before) == 0 && len(after) == 0:
		return ops
	case len(after) == 0:
		return append(ops, jsonpatch.Operation{Operation: opRemove, Path: path})
	case len(before) == 0:
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}

	removed, kept := []int(nil), 0
	for i := range before {
		// Pointers, as in mountOps: a struct passed as an any is copied to the heap.
		if kept < len(after) && deepEqual(&before[i], &after[kept]) {
			kept++
			continue
		}
		removed = append(removed, i)
	}
	if kept != len(after) {
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}
	for _, i := range slices.Backward(removed) {
		ops = append(ops, jsonpatch.Operation{Operation: opRemove,
			Path: path + "/" + strconv.Itoa(i)})
	}
	return ops
}

// mountOps writes a container's changed volume mounts: for a mount whose name, subPath
// or readOnly changed, as when endpoints.yml is redirected to the memory volume, those
// members alone; a mount changed otherwise is replaced; a list that changed length is
// set whole.
func mountOps(
	ops []jsonpatch.Operation, path string, before, after []corev1.VolumeMount,
) []jsonpatch.Operation {
	switch {
	case len(before) == 0 && len(after) == 0:
		return ops
	case len(after) == 0:
		return append(ops, jsonpatch.Operation{Operation: opRemove, Path: path})
	case len(before) != len(after):
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}

	for i := range before {
		// Pointers, not copies: a struct passed to deepEqual as an any is copied to the
		// heap, and most mounts are unchanged.
		old, now := &before[i], &after[i]
		if deepEqual(old, now) {
			continue
		}
		at := path + "/" + strconv.Itoa(i)
		same := *now
		same.Name, same.SubPath, same.ReadOnly = old.Name, old.SubPath, old.ReadOnly
		if !deepEqual(old, &same) {
			ops = append(ops, jsonpatch.Operation{Operation: opReplace, Path: at, Value: *now})
			continue
		}
		ops = memberOps(ops, at+"/name", old.Name, now.Name)
		ops = memberOps(ops, at+"/subPath", old.SubPath, now.SubPath)
		ops = memberOps(ops, at+"/readOnly", old.ReadOnly, now.ReadOnly)
	}
	return ops
}

// memberOps sets or removes an optional member of an object that exists; the zero
// value is the member left out, as the API's omitempty encodes it.
func memberOps[T comparable](
	ops []jsonpatch.Operation, path string, before, after T,
) []jsonpatch.Operation {
	var zero T
	switch {
	case before == after:
		return ops
	case after == zero:
		return append(ops, jsonpatch.Operation{Operation: opRemove, Path: path})
	case before == zero:
		return append(ops, jsonpatch.Operation{Operation: opAdd, Path: path, Value: after})
	}
	return append(ops, jsonpatch.Operation{Operation: opReplace, Path: path, Value: after})
}

// escapePointer escapes one reference token of a JSON pointer (RFC 6901), such as an
// annotation key with its "/".
func escapePointer(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
