package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
)

// Defaults for Options.
const (
	// DefaultEndpointsFile is the file name Rasa reads and the Rasa chart mounts.
	DefaultEndpointsFile = "endpoints.yml"
	// DefaultTerminationMessagePath is the kubelet's default terminationMessagePath.
	DefaultTerminationMessagePath = "/dev/termination-log"
	// DefaultInitTimeout bounds the init container's retries against an unreachable
	// Vault: long enough to ride out a Vault pod restart, short enough that a wrong
	// address shows up as a failed pod within a minute instead of a pod stuck in Init.
	DefaultInitTimeout = 60 * time.Second
	// DefaultRefreshInterval is how often the agent re-reads the secret. Rasa reads
	// endpoints.yml only at start, so a faster refresh would buy nothing until the
	// assistant restarts; five minutes keeps the file current at negligible load.
	DefaultRefreshInterval = 5 * time.Minute
	// MinRefreshInterval is the shortest refresh interval accepted, the same floor as
	// the webhook's refresh-interval annotation: a typo like "1ns" would otherwise send
	// Vault hundreds of requests a second.
	MinRefreshInterval = time.Second
)

// Options configure Run. SourceDir and OutputDir are required.
type Options struct {
	// SourceDir is where the pod's ConfigMap volume is mounted, e.g. /rvw/config.
	SourceDir string
	// EndpointsFile is the path of endpoints.yml inside SourceDir, relative, e.g.
	// endpoints.yml (the default). The resolved file goes to OutputDir/EndpointsFile.
	EndpointsFile string
	// OutputDir is the tmpfs directory the resolved files are written to, e.g. /rvw/out.
	OutputDir string
	// CopyOthers also copies every other regular file of SourceDir (a ConfigMap mounted
	// as a directory holds credentials.yml and friends next to endpoints.yml).
	CopyOthers bool
	// Once selects init mode: resolve, write, return. Otherwise Run keeps the token
	// alive and refreshes until ctx ends.
	Once bool
	// LookupEnv reads the environment; os.LookupEnv when nil.
	LookupEnv func(string) (string, bool)
	// Logger receives structured logs; discarded when zero.
	Logger logr.Logger
	// TerminationMessagePath receives a one-line cause when Run fails; empty means
	// DefaultTerminationMessagePath. Writing it is best effort.
	TerminationMessagePath string
	// InitTimeout bounds the retries of the first resolution while Vault is
	// unreachable; DefaultInitTimeout when zero.
	InitTimeout time.Duration
	// RefreshInterval is how often agent mode re-reads the secret;
	// DefaultRefreshInterval when zero, else at least MinRefreshInterval.
	RefreshInterval time.Duration
	// Clock is the time source of every wait; the real clock when nil. Tests inject one.
	Clock Clock
	// Health receives the agent's state for a probe to read; Run uses a private one
	// when nil.
	Health *Health
	// Auth says how the agent obtains its Vault token; token auth from the merged
	// configuration when zero.
	Auth Auth
	// RevokeOnExit revokes the agent's token when Run ends: in agent mode always, in
	// init mode only a token the agent logged in for (a token given to the pod is
	// still needed by the renewal agent).
	RevokeOnExit bool
}

// withDefaults fills in defaults and checks the paths.
func (o Options) withDefaults() (Options, error) {
	if o.EndpointsFile == "" {
		o.EndpointsFile = DefaultEndpointsFile
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Logger.GetSink() == nil {
		o.Logger = logr.Discard()
	}
	if o.TerminationMessagePath == "" {
		o.TerminationMessagePath = DefaultTerminationMessagePath
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	refreshErr := checkRefreshInterval(o.RefreshInterval, true)
	if o.RefreshInterval == 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Health == nil {
		o.Health = NewHealth()
	}
	return o, errors.Join(o.checkPaths(), refreshErr, o.Auth.check())
}

// checkRefreshInterval refuses an interval below MinRefreshInterval; zero passes when
// zeroMeansDefault. The message names the flag, the one way to set it.
func checkRefreshInterval(d time.Duration, zeroMeansDefault bool) error {
	if d >= MinRefreshInterval || (d == 0 && zeroMeansDefault) {
		return nil
	}
	return fmt.Errorf("--refresh-interval %s is below the minimum of %s: set a longer "+
		"interval, e.g. %s", d, MinRefreshInterval, DefaultRefreshInterval)
}

// CheckRefreshInterval refuses a --refresh-interval below MinRefreshInterval, zero
// included, naming the flag.
func CheckRefreshInterval(d time.Duration) error { return checkRefreshInterval(d, false) }

// checkPaths rejects paths that would read or write outside the two directories.
func (o Options) checkPaths() error {
	var errs []error
	if o.SourceDir == "" {
		errs = append(errs, errors.New("the source directory is not set: pass "+
			"--source-dir, the mount path of the endpoints ConfigMap"))
	}
	if o.OutputDir == "" {
		errs = append(errs, errors.New("the output directory is not set: pass "+
			"--output-dir, the mount path of the tmpfs volume"))
	}
	if !filepath.IsLocal(o.EndpointsFile) {
		errs = append(errs, fmt.Errorf("the endpoints file %q must be a relative path "+
			"inside the source directory, e.g. endpoints.yml", o.EndpointsFile))
	}
	if o.SourceDir != "" && o.OutputDir != "" &&
		filepath.Clean(o.SourceDir) == filepath.Clean(o.OutputDir) {
		errs = append(errs, fmt.Errorf("the output directory %s is the source directory: "+
			"use a separate tmpfs volume so the original stays untouched", o.OutputDir))
	}
	return errors.Join(errs...)
}

// sourcePath and outputPath are the endpoints file's two locations.
func (o Options) sourcePath() string { return filepath.Join(o.SourceDir, o.EndpointsFile) }
func (o Options) outputPath() string { return filepath.Join(o.OutputDir, o.EndpointsFile) }
