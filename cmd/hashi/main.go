// Command hashi is the Hashi message broker and its tools.
//
//	hashi broker [--config FILE]   run a broker (embedded default config without --config)
//	hashi check FILE               validate an activemq.xml and print the effective configuration
//	hashi bridges [--admin ADDR]   show the network bridges of a running broker
//	hashi apply FILE               apply an activemq.xml to a running broker without a restart
//	hashi passwd [--argon2id]      print a password hash for a password read from stdin
//	hashi version                  print the version
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/hashi-broker/hashi/broker/server"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `hashi: a message broker for IoT fleets and business systems, ActiveMQ-compatible.

Usage:
  hashi broker [--config FILE] [--log-level LEVEL] [--log-json]
  hashi check FILE
  hashi apply [--admin ADDR] [--user U --password P] FILE
  hashi bridges [--admin ADDR] [--user U --password P] [--json]
  hashi passwd [--argon2id]
  hashi bench SCENARIO [flags]   (fanin, fanout, latency, conns, bridge, queue, relay, sink, report)
  hashi version

Run "hashi COMMAND --help" for a command's flags.
`

func main() {
	server.Version = version
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "broker":
		return cmdBroker(args[1:], stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "apply":
		return cmdApply(args[1:], stdout, stderr)
	case "bridges":
		return cmdBridges(args[1:], stdout, stderr)
	case "passwd":
		return cmdPasswd(args[1:], stdin, stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "hashi", versionString())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hashi: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}
