// Command compose-check validates compose files without a Docker engine.
//
// It loads them with compose-go, the Compose Specification's own loader, with schema validation,
// interpolation, normalisation and the loader's consistency checks (undefined services, volumes,
// networks, ...) turned on, then adds a few checks of its own that Docker would only report at
// `up` time:
//
//   - a service that others wait for with `condition: service_healthy` has a healthcheck;
//   - a service that others wait for with `condition: service_completed_successfully` does not
//     restart forever;
//   - every service has an image or a build section;
//   - every variable reference is set or has a default (the loader's "variable is not set"
//     warning is an error here), and so is any other loader warning.
//
// Usage: compose-check [-q] [compose.yaml ...]   (exit status 1 on any problem)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

// warnings collects the loader's log messages at warning level and above.
type warnings struct{ messages []string }

func (w *warnings) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (w *warnings) Fire(entry *logrus.Entry) error {
	w.messages = append(w.messages, entry.Message)
	return nil
}

func main() {
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-q] [compose.yaml ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		files = []string{"compose.yaml"}
	}
	problems, project := check(files)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "compose-check:", p)
		}
		fmt.Fprintf(os.Stderr, "compose-check: %s: %d problem(s)\n", strings.Join(files, ", "), len(problems))
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("compose-check: %s: OK (%d services, %d volumes)\n",
			strings.Join(files, ", "), len(project.Services), len(project.Volumes))
	}
}

func check(files []string) ([]string, *types.Project) {
	hook := &warnings{}
	logrus.AddHook(hook)
	logrus.SetOutput(discard{})

	dir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return []string{err.Error()}, nil
	}
	options, err := cli.NewProjectOptions(
		files,
		cli.WithWorkingDirectory(dir),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return []string{err.Error()}, nil
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return []string{err.Error()}, nil
	}
	problems := append([]string{}, hook.messages...)
	return append(problems, semantic(project)...), project
}

// semantic checks what the schema cannot express: conditions that would hang or fail `up`.
func semantic(project *types.Project) []string {
	var problems []string
	names := make([]string, 0, len(project.Services))
	for name := range project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		service := project.Services[name]
		if service.Image == "" && service.Build == nil {
			problems = append(problems, fmt.Sprintf("service %q has neither image nor build", name))
		}
		deps := make([]string, 0, len(service.DependsOn))
		for dep := range service.DependsOn {
			deps = append(deps, dep)
		}
		sort.Strings(deps)
		for _, dep := range deps {
			condition := service.DependsOn[dep].Condition
			target, ok := project.Services[dep]
			if !ok {
				problems = append(problems, fmt.Sprintf("service %q depends on unknown service %q", name, dep))
				continue
			}
			switch condition {
			case types.ServiceConditionHealthy:
				hc := target.HealthCheck
				if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
					problems = append(problems, fmt.Sprintf(
						"service %q waits for %q to be healthy, but %q has no healthcheck", name, dep, dep))
				}
			case types.ServiceConditionCompletedSuccessfully:
				if target.Restart == types.RestartPolicyAlways || target.Restart == types.RestartPolicyUnlessStopped {
					problems = append(problems, fmt.Sprintf(
						"service %q waits for %q to complete, but %q restarts %s", name, dep, dep, target.Restart))
				}
			}
		}
	}
	return problems
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
