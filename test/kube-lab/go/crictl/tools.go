//go:build tools

// Package tools pins crictl, which tears down the node's pod sandboxes through the CRI.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
