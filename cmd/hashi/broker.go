package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/xml"
)

// shutdownTimeout bounds a graceful stop: the process exits within 10 s of
// SIGTERM.
const shutdownTimeout = 8 * time.Second

func cmdBroker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "activemq.xml to load (default: the embedded configuration: MQTT 127.0.0.1:1883, STOMP 127.0.0.1:61613)")
	level := fs.String("log-level", envOr("HASHI_LOG_LEVEL", "info"), "log level: trace, debug, info, warn, error (env HASHI_LOG_LEVEL)")
	jsonLog := fs.Bool("log-json", os.Getenv("HASHI_LOG_JSON") != "", "log as JSON lines (env HASHI_LOG_JSON)")
	adminAddr := fs.String("admin", envOrSet("HASHI_ADMIN", "127.0.0.1:8161"), `admin HTTP listener (console, JSON API, metrics); "" turns it off (env HASHI_ADMIN)`)
	adminTLS := fs.Bool("admin-tls", false, "serve the admin listener over HTTPS with the <sslContext> key store")
	pprofAddr := fs.String("pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060")
	adaptiveProcs := fs.Bool("adaptive-procs", true, "run on one thread while the broker uses under a quarter of a core (lower latency, like an event loop) and on every core once it uses half of one; off when GOMAXPROCS is set")
	consoleGroups := fs.String("console-groups", "admins,activemq-webconsole", "groups whose users may log in to the console and admin API")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := hclog.New(&hclog.LoggerOptions{
		Name:       "hashi",
		Level:      hclog.LevelFromString(*level),
		Output:     stderr,
		JSONFormat: *jsonLog,
	})
	if hclog.LevelFromString(*level) == hclog.NoLevel {
		fmt.Fprintf(stderr, "hashi broker: unknown log level %q\n", *level)
		return 2
	}

	cfg, code := loadConfig(*cfgPath, log, stderr)
	if cfg == nil {
		return code
	}
	text := xml.DefaultXML()
	if *cfgPath != "" {
		if abs, err := filepath.Abs(*cfgPath); err == nil {
			*cfgPath = abs
		}
		text, _ = os.ReadFile(*cfgPath)
	}
	gcBusy, stopGC := startGCTuner(gcFloor)
	defer stopGC()
	if *adaptiveProcs {
		defer startProcsTuner(log, gcBusy)()
	}
	if *pprofAddr != "" {
		if err := startPprof(*pprofAddr, log); err != nil {
			log.Error("cannot start the profiling listener", "error", err)
			return 1
		}
	}
	srv, err := server.NewWithOptions(cfg, log, server.Options{
		AdminAddr: *adminAddr, AdminTLS: *adminTLS, ConsoleGroups: splitList(*consoleGroups),
		ConfigPath: *cfgPath, ConfigText: text,
	})
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	notifySystemd("READY=1")

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for {
		select {
		case err := <-srv.Errors():
			log.Error("listener failed, shutting down", "error", err)
			shutdown(srv, log)
			return 1
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				reload(srv, *cfgPath, log, stderr)
				continue
			}
			log.Info("shutting down", "signal", sig.String())
			notifySystemd("STOPPING=1")
			if !shutdown(srv, log) {
				return 1
			}
			return 0
		}
	}
}

func shutdown(srv *server.Server, log hclog.Logger) bool {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown incomplete", "error", err)
		return false
	}
	log.Info("stopped")
	return true
}

// loadConfig loads path (or the embedded default), printing every problem.
// It returns nil and an exit code when the configuration has errors.
func loadConfig(path string, log hclog.Logger, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		log.Info("using the embedded default configuration (loopback only)")
		return xml.Default(), 0
	}
	cfg, problems := xml.LoadFile(path, xml.Options{})
	for _, p := range problems {
		if p.Severity == config.Warning {
			log.Warn(p.Msg, "at", p.Pos.String())
		}
	}
	if problems.HasErrors() || cfg == nil {
		for _, p := range problems {
			if p.Severity == config.Error {
				fmt.Fprintln(stderr, p.String())
			}
		}
		fmt.Fprintf(stderr, "hashi broker: %s has errors; not starting (see `hashi check %s`)\n", path, path)
		return nil, 1
	}
	log.Info("configuration loaded", "file", path, "broker", cfg.Broker.Name)
	return cfg, 0
}

// reload re-reads the file on SIGHUP and applies users, authorization entries
// and policies; a file with errors leaves the running configuration alone.
func reload(srv *server.Server, path string, log hclog.Logger, stderr io.Writer) {
	if path == "" {
		log.Info("SIGHUP: running on the embedded default configuration, nothing to reload")
		return
	}
	notifySystemd("RELOADING=1")
	defer notifySystemd("READY=1")
	cfg, problems := xml.LoadFile(path, xml.Options{})
	if problems.HasErrors() || cfg == nil {
		log.Error("SIGHUP: configuration has errors, keeping the running one", "file", path, "errors", problems.Err().Error())
		return
	}
	if err := srv.Reload(cfg); err != nil {
		log.Error("SIGHUP: cannot apply configuration, keeping the running one", "error", err)
		return
	}
	log.Info("SIGHUP: users and authorization entries reloaded", "file", path)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// notifySystemd implements sd_notify for Type=notify units.
func notifySystemd(state string) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte(state))
}

// envOrSet is like envOr but an empty value that is set counts (HASHI_ADMIN=
// turns the listener off).
func envOrSet(k, def string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return def
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
