//go:build tools

// Package tools pins etcd, the test cluster's store.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
