//go:build !linux

package rawio

import "net"

func wrap(nc net.Conn) net.Conn { return nc }
