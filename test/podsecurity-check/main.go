// Command podsecurity-check evaluates pods against a Pod Security Standards level with the
// policy package of kube-apiserver's own PodSecurity admission (k8s.io/pod-security-admission),
// so that sparkplane's tests check rendered pods against the real rules, not a copy of them.
//
// It reads one object on standard input, as JSON or YAML: a Pod, a PodTemplate, a bare pod
// template (metadata and spec, as Spark reads from spark.kubernetes.*.podTemplateFile), or a
// v1 List of these. Unknown fields are an error, so that a misspelt field cannot pass
// unnoticed. For every object that violates the level it prints one line
//
//	<name>: <reason> (<detail>), ...
//
// and exits 1; it exits 0 when every object is allowed, and 2 on unreadable input.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// object is what the input may hold; kind decides which fields count.
type object struct {
	Kind     string                 `json:"kind"`
	Items    []json.RawMessage      `json:"items"`
	Metadata metav1.ObjectMeta      `json:"metadata"`
	Template corev1.PodTemplateSpec `json:"template"`
	Spec     corev1.PodSpec         `json:"spec"`
}

// decode reads raw strictly: as a Pod or a bare template (both have metadata and spec), as a
// PodTemplate, or as a List.
func decode(raw []byte) (object, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return object{}, err
	}
	strict := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	switch head.Kind {
	case "List":
		var l struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Metadata   metav1.ListMeta   `json:"metadata"`
			Items      []json.RawMessage `json:"items"`
		}
		err := strict(&l)
		return object{Kind: "List", Items: l.Items}, err
	case "PodTemplate":
		var t corev1.PodTemplate
		err := strict(&t)
		return object{Kind: "PodTemplate", Metadata: t.ObjectMeta, Template: t.Template}, err
	case "Pod", "":
		var p corev1.Pod
		err := strict(&p)
		return object{Kind: "Pod", Metadata: p.ObjectMeta, Spec: p.Spec}, err
	default:
		return object{}, fmt.Errorf("kind %q: expected Pod, PodTemplate, a pod template or List", head.Kind)
	}
}

type pod struct {
	name string
	meta metav1.ObjectMeta
	spec corev1.PodSpec
}

func collect(raw []byte, where string, out *[]pod) error {
	o, err := decode(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	switch o.Kind {
	case "List":
		for i, item := range o.Items {
			if err := collect(item, fmt.Sprintf("%s.items[%d]", where, i), out); err != nil {
				return err
			}
		}
	case "PodTemplate":
		*out = append(*out, pod{name: nameOf(o.Metadata, where), meta: o.Template.ObjectMeta, spec: o.Template.Spec})
	default:
		*out = append(*out, pod{name: nameOf(o.Metadata, where), meta: o.Metadata, spec: o.Spec})
	}
	return nil
}

func nameOf(m metav1.ObjectMeta, where string) string {
	if m.Name != "" {
		return m.Name
	}
	return where
}

func main() {
	levelFlag := flag.String("level", "restricted", "Pod Security level: baseline or restricted")
	versionFlag := flag.String("version", "latest", "policy version: latest or v1.N")
	flag.Parse()
	level, err := api.ParseLevel(*levelFlag)
	if err != nil || level == api.LevelPrivileged {
		fmt.Fprintf(os.Stderr, "error: -level: expected baseline or restricted, got %q\n", *levelFlag)
		os.Exit(2)
	}
	version, err := api.ParseVersion(*versionFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: -version: %v\n", err)
		os.Exit(2)
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: stdin: %v\n", err)
		os.Exit(2)
	}
	raw, err := yaml.YAMLToJSON(input)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: stdin: %v\n", err)
		os.Exit(2)
	}
	var pods []pod
	if err := collect(raw, "stdin", &pods); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(2)
	}
	if len(pods) == 0 {
		fmt.Fprintln(os.Stderr, "error: stdin: no pod to check")
		os.Exit(2)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(2)
	}
	lv := api.LevelVersion{Level: level, Version: version}
	violations := 0
	for _, p := range pods {
		results := policy.AggregateCheckResults(evaluator.EvaluatePod(lv, &p.meta, &p.spec))
		if !results.Allowed {
			violations++
			fmt.Printf("%s: %s\n", p.name, results.ForbiddenDetail())
		}
	}
	fmt.Fprintf(os.Stderr, "%d of %d pods violate %s\n", violations, len(pods), lv.String())
	if violations > 0 {
		os.Exit(1)
	}
}
