//go:build tools

// Package tools pins kwok, which fakes a node's kubelet so the benchmarks can move pods'
// phases on a real API server without running them (bench/operator.sh --kube).
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
