package kube

import (
	"context"

	"k8s.io/apimachinery/pkg/version"
)

// ServerVersion returns the apiserver's build information from GET /version, which
// every authenticated user may read.
func (c *Client) ServerVersion(ctx context.Context) (*version.Info, error) {
	info := &version.Info{}
	if err := c.get(ctx, "/version", target{}, info); err != nil {
		return nil, err
	}
	return info, nil
}
