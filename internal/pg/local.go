package pg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Local is a private PostgreSQL cluster kept in one directory and run with the
// system's PostgreSQL binaries. The server listens on a unix socket (in the
// data directory when the path is short enough) and on a free port of
// 127.0.0.1; local socket connections are trusted, TCP ones need a password
// that no role has, so only the directory's owner (and root) can connect.
type Local struct {
	Dir       string // data directory (absolute)
	Port      int
	SocketDir string

	bin       string
	cred      *syscall.Credential // set when running as root: PostgreSQL refuses to run as root
	owned     bool                // this process started the server and stops it
	tmpSocket bool
	logger    *slog.Logger
}

// LocalOptions configure StartLocal.
type LocalOptions struct {
	Dir      string // data directory, created and initialised on first use
	BinDir   string // PostgreSQL bin directory; found automatically when empty
	Database string // database created on start when missing; "kefu" when empty
	Port     int    // TCP port on 127.0.0.1; a free one when 0
	Logger   *slog.Logger
}

// StartLocal initialises the cluster on first use and starts it, or attaches
// to it when another process already runs it (then Stop leaves it running).
func StartLocal(ctx context.Context, opts LocalOptions) (*Local, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Database == "" {
		opts.Database = "kefu"
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("local database dir: %w", err)
	}
	bin := opts.BinDir
	if bin == "" {
		if bin, err = findBinDir(); err != nil {
			return nil, err
		}
	}
	l := &Local{Dir: dir, Port: opts.Port, bin: bin, logger: opts.Logger}
	if os.Geteuid() == 0 {
		if l.cred, err = postgresCredential(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("local database dir: %w", err)
	}
	// Why a lock file: two kefu processes starting at once must not both
	// initdb or both start a server on the same directory.
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()

	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := l.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if port, sock, ok := runningServer(dir); ok {
		l.Port, l.SocketDir = port, sock
		l.logger.Info("using running local database", "dir", dir, "port", port)
	} else if err := l.start(ctx); err != nil {
		return nil, err
	}
	if err := l.ensureDatabase(ctx, opts.Database); err != nil {
		l.Stop(context.Background())
		return nil, err
	}
	return l, nil
}

// URL is the connection string for database name on this cluster.
func (l *Local) URL(database string) string {
	q := url.Values{"host": {l.SocketDir}, "port": {strconv.Itoa(l.Port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database, RawQuery: q.Encode()}).String()
}

// Stop stops the server if this process started it.
func (l *Local) Stop(ctx context.Context) error {
	if !l.owned {
		return nil
	}
	l.owned = false
	err := l.run(ctx, "pg_ctl", "stop", "-D", l.Dir, "-m", "fast", "-w", "-t", "60")
	if l.tmpSocket {
		os.RemoveAll(l.SocketDir)
	}
	if err != nil {
		return fmt.Errorf("stop local database: %w", err)
	}
	l.logger.Info("local database stopped", "dir", l.Dir)
	return nil
}

func (l *Local) initdb(ctx context.Context) error {
	l.logger.Info("initialising local database", "dir", l.Dir)
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return fmt.Errorf("local database dir: %w", err)
	}
	if err := l.chown(l.Dir); err != nil {
		return err
	}
	err := l.run(ctx, "initdb", "-D", l.Dir, "-U", "postgres", "-E", "UTF8", "--no-locale",
		"--auth-local=trust", "--auth-host=scram-sha-256")
	if err != nil {
		return fmt.Errorf("initdb %s (its parent directories must be readable by the server's user): %w", l.Dir, err)
	}
	return nil
}

func (l *Local) start(ctx context.Context) error {
	var err error
	if l.Port == 0 {
		if l.Port, err = freePort(); err != nil {
			return err
		}
	}
	port := l.Port
	l.SocketDir = l.Dir
	// A unix socket path is limited to 107 bytes; fall back to a short temp dir.
	if len(l.Dir)+len("/.s.PGSQL.65535") > 100 {
		if l.SocketDir, err = os.MkdirTemp("", "kefu-pg-"); err != nil {
			return fmt.Errorf("socket dir: %w", err)
		}
		l.tmpSocket = true
		if err := l.chown(l.SocketDir); err != nil {
			return err
		}
	}
	logFile := filepath.Join(l.Dir, "kefu-server.log")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='%s'", port, l.SocketDir)
	if err := l.run(ctx, "pg_ctl", "start", "-D", l.Dir, "-l", logFile, "-w", "-t", "60", "-o", opts); err != nil {
		return fmt.Errorf("start local database: %w; log: %s", err, tail(logFile, 5))
	}
	l.owned = true
	l.logger.Info("local database started", "dir", l.Dir, "port", port)
	return nil
}

func (l *Local) ensureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, l.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to local database: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "select exists(select 1 from pg_database where datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func (l *Local) run(ctx context.Context, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(l.bin, prog), args...)
	cmd.Dir = "/" // the server's user may not be able to enter our working directory
	if l.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: l.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", prog, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (l *Local) chown(path string) error {
	if l.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(l.cred.Uid), int(l.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	return nil
}

// runningServer reads postmaster.pid and reports the port and socket
// directory of a live server on dir.
func runningServer(dir string) (port int, socketDir string, ok bool) {
	f, err := os.Open(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, "", false
	}
	defer f.Close()
	var lines []string
	for s := bufio.NewScanner(f); s.Scan(); {
		lines = append(lines, s.Text())
	}
	if len(lines) < 5 {
		return 0, "", false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || syscall.Kill(pid, 0) != nil {
		return 0, "", false
	}
	return port, strings.TrimSpace(lines[4]), true
}

// findBinDir returns the newest /usr/lib/postgresql/NN/bin with initdb, or the
// directory of initdb on PATH.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/provision.sh or set DATABASE_URL")
}

func pgMajor(initdbPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdbPath))))
	return n
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the 'postgres' system user to run the local database: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
