package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// resourceAnnotations maps each resource annotation to where its quantity goes.
var resourceAnnotations = []struct {
	annotation string
	limit      bool
	name       corev1.ResourceName
}{
	{AnnotationAgentCPURequest, false, corev1.ResourceCPU},
	{AnnotationAgentMemoryRequest, false, corev1.ResourceMemory},
	{AnnotationAgentCPULimit, true, corev1.ResourceCPU},
	{AnnotationAgentMemoryLimit, true, corev1.ResourceMemory},
}

// readResources applies the resource annotations to s.Resources: each a quantity
// above zero, and no request above its limit.
func readResources(pod *corev1.Pod, s *Settings) []string {
	var problems []string
	fromAnnotation := map[string]string{}
	for _, r := range resourceAnnotations {
		v, ok := pod.Annotations[r.annotation]
		if !ok {
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("annotation %s: value %q is not a "+
				"quantity: write it like \"50m\" (CPU) or \"32Mi\" (memory)", r.annotation, v))
			continue
		}
		if q.Sign() <= 0 {
			problems = append(problems, fmt.Sprintf("annotation %s: value %q is not above "+
				"zero: set a positive quantity, or remove it for the default", r.annotation, v))
			continue
		}
		list := &s.Resources.Requests
		if r.limit {
			list = &s.Resources.Limits
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		(*list)[r.name] = q
		fromAnnotation[string(r.name)+limitWord(r.limit)] = r.annotation
	}

	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := s.Resources.Requests[name]
		limit, hasLimit := s.Resources.Limits[name]
		if !hasReq || !hasLimit || req.Cmp(limit) <= 0 {
			continue
		}
		culprit := fromAnnotation[string(name)+limitWord(false)]
		if culprit == "" {
			culprit = fromAnnotation[string(name)+limitWord(true)]
		}
		problems = append(problems, fmt.Sprintf("annotation %s: the %s request %s is above "+
			"its limit %s: lower the request or raise the limit", culprit, name,
			req.String(), limit.String()))
	}
	return problems
}

// limitWord tells requests and limits apart in map keys.
func limitWord(limit bool) string {
	if limit {
		return " limit"
	}
	return " request"
}
