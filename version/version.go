// Package version reports what build of chainrisk is running.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at link time (-ldflags "-X github.com/chainrisk/chainrisk/version.Version=v1.2.3");
// a plain build reports the module version or "dev".
var Version = ""

// Info describes the build.
type Info struct {
	Version   string
	Revision  string
	GoVersion string
}

// Get reads the build information.
func Get() Info {
	info := Info{Version: Version, Revision: "unknown", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				info.Revision = s.Value[:12]
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// String is the line printed by -version.
func String(program string) string {
	i := Get()
	return fmt.Sprintf("%s %s (revision %s, %s %s/%s)", program, i.Version, i.Revision, i.GoVersion, runtime.GOOS, runtime.GOARCH)
}
