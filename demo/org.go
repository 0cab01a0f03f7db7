package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// repoSpec is one repository of the demo organisation: the files of its
// default branch and, per other branch, the files that differ (an empty
// content deletes the file).
type repoSpec struct {
	name     string // full name below the demo's repos folder
	base     map[string]string
	branches []branchSpec
}

type branchSpec struct {
	name   string
	author string
	change map[string]string
}

// org is the demo organisation. Its contents are chosen so that every
// question the tour asks has one clear answer; the tests pin each answer.
func org() []repoSpec {
	return []repoSpec{paymentsAPI(), authService(), webFrontend(), inventoryService(), dataPipeline(), platformConfig()}
}

// Facts about the organisation that the tour and the tests name.
const (
	VulnerableRepo    = "acme/payments-api"
	VulnerableBranch  = "release/1.0"
	VulnerableVersion = "2.14.1"
	FixedVersion      = "2.17.1" // the tour's planned change sets it
	NoOwnersRepo      = "acme/inventory-service"
	ConfigKey         = "connection-timeout"
	LargeFile         = "public/vendor.bundle.js"
	BinaryFile        = "public/logo.png"
	PlainPasswordFile = "src/main/resources/application.properties" // in acme/auth-service
)

// ConfigValues is the value of ConfigKey on each branch of VulnerableRepo.
var ConfigValues = map[string]string{
	"main": "30s", "develop": "45s", "release/1.0": "10s", "release/2.0": "20s", "feature/refunds": "30s",
}

func pom(group, artifact, version, parent string, props map[string]string, depsXML string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>

  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>%s</version>
    <relativePath/>
  </parent>

  <groupId>%s</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
  <packaging>jar</packaging>

  <properties>
    <java.version>17</java.version>
`, parent, group, artifact, version)
	for _, k := range sortedKeys(props) {
		fmt.Fprintf(&b, "    <%s>%s</%s>\n", k, props[k], k)
	}
	b.WriteString("  </properties>\n\n  <dependencies>\n")
	b.WriteString(depsXML)
	b.WriteString(`  </dependencies>

  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
      </plugin>
    </plugins>
  </build>
</project>
`)
	return b.String()
}

func dep(group, artifact, version string) string {
	if version == "" {
		return fmt.Sprintf("    <dependency>\n      <groupId>%s</groupId>\n      <artifactId>%s</artifactId>\n    </dependency>\n", group, artifact)
	}
	return fmt.Sprintf("    <dependency>\n      <groupId>%s</groupId>\n      <artifactId>%s</artifactId>\n      <version>%s</version>\n    </dependency>\n", group, artifact, version)
}

func workflow(name string, steps ...string) string {
	return fmt.Sprintf(`name: %s

on:
  push:
    branches: [main, 'release/**']
  pull_request:

permissions:
  contents: read

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
%s`, name, strings.Join(steps, ""))
}

func step(uses string, with ...string) string {
	s := "      - uses: " + uses + "\n"
	if len(with) > 0 {
		s += "        with:\n"
		for i := 0; i+1 < len(with); i += 2 {
			s += fmt.Sprintf("          %s: %s\n", with[i], with[i+1])
		}
	}
	return s
}

func run(cmd string) string { return "      - run: " + cmd + "\n" }

func paymentsAPI() repoSpec {
	pomFor := func(version, parent, log4j string) string {
		return pom("com.acme", "payments-api", version, parent, map[string]string{"log4j2.version": log4j},
			dep("org.springframework.boot", "spring-boot-starter-web", "")+
				dep("org.springframework.boot", "spring-boot-starter-actuator", "")+
				dep("org.apache.logging.log4j", "log4j-core", "${log4j2.version}")+
				dep("com.fasterxml.jackson.core", "jackson-databind", "")+
				dep("org.postgresql", "postgresql", "42.7.3"))
	}
	appYAML := func(timeout string) string {
		return `server:
  port: 8080
  shutdown: graceful

payments:
  gateway-url: https://gateway.sandbox.acme.example
  ` + ConfigKey + `: ` + timeout + `
  retry:
    max-attempts: 3
    backoff: 200ms

management:
  endpoints:
    web:
      exposure:
        include: health,info,prometheus
`
	}
	controller := `package com.acme.payments;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/payments")
public class PaymentController {
    private static final Logger log = LogManager.getLogger(PaymentController.class);

    private final PaymentService service;

    public PaymentController(PaymentService service) {
        this.service = service;
    }

    @PostMapping
    public Payment create(@RequestBody PaymentRequest request) {
        log.info("create payment for {}", request.customerId());
        return service.authorize(request);
    }

    @GetMapping("/{id}")
    public Payment get(@PathVariable String id) {
        return service.find(id).orElseThrow(() -> new PaymentNotFound(id));
    }
}
`
	return repoSpec{
		name: "acme/payments-api",
		base: map[string]string{
			"README.md":                          "# payments-api\n\nAuthorises and settles card payments for the acme shop.\n\n    mvn -B verify\n",
			"pom.xml":                            pomFor("2.4.0-SNAPSHOT", "3.2.5", "2.23.1"),
			"src/main/resources/application.yml": appYAML(ConfigValues["main"]),
			"src/main/java/com/acme/payments/PaymentController.java": controller,
			"Dockerfile":         "FROM eclipse-temurin:21-jre\nWORKDIR /app\nCOPY target/payments-api.jar app.jar\nUSER 10001\nEXPOSE 8080\nENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n",
			".github/CODEOWNERS": "* @acme/payments-team\n/src/main/resources/ @acme/payments-team @acme/sre\n",
			".github/workflows/ci.yml": workflow("ci",
				step("actions/checkout@v4"),
				step("actions/setup-java@v4", "distribution", "temurin", "java-version", "'21'", "cache", "maven"),
				run("mvn -B verify")),
		},
		branches: []branchSpec{
			{name: "develop", author: "Priya Raman", change: map[string]string{
				"pom.xml":                            pomFor("2.5.0-SNAPSHOT", "3.3.0", "2.23.1"),
				"src/main/resources/application.yml": appYAML(ConfigValues["develop"]),
			}},
			{name: "release/1.0", author: "Jonas Berg", change: map[string]string{
				"pom.xml":                            pomFor("1.0.7", "2.5.6", VulnerableVersion),
				"src/main/resources/application.yml": appYAML(ConfigValues["release/1.0"]),
				"Dockerfile":                         "FROM eclipse-temurin:11-jre\nWORKDIR /app\nCOPY target/payments-api.jar app.jar\nEXPOSE 8080\nENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n",
			}},
			{name: "release/2.0", author: "Jonas Berg", change: map[string]string{
				"pom.xml":                            pomFor("2.0.3", "2.7.18", "2.17.1"),
				"src/main/resources/application.yml": appYAML(ConfigValues["release/2.0"]),
			}},
			{name: "feature/refunds", author: "Priya Raman", change: map[string]string{
				"src/main/java/com/acme/payments/RefundController.java": strings.ReplaceAll(strings.ReplaceAll(controller, "Payment", "Refund"), "/payments", "/refunds"),
			}},
		},
	}
}

func authService() repoSpec {
	pomFor := func(version, parent string) string {
		return pom("com.acme", "auth-service", version, parent, nil,
			dep("org.springframework.boot", "spring-boot-starter-security", "")+
				dep("org.springframework.boot", "spring-boot-starter-oauth2-resource-server", "")+
				dep("org.apache.logging.log4j", "log4j-core", "2.17.1")+
				dep("com.nimbusds", "nimbus-jose-jwt", "9.37.3"))
	}
	props := func(session string) string {
		return "server.port=8081\nspring.datasource.url=jdbc:postgresql://db.internal.acme.example:5432/auth\n" +
			"spring.datasource.username=auth\nspring.datasource.password=changeme\n" +
			"auth.session.timeout=" + session + "\nauth.jwt.issuer=https://auth.acme.example\n"
	}
	return repoSpec{
		name: "acme/auth-service",
		base: map[string]string{
			"README.md":       "# auth-service\n\nIssues and checks the tokens of every acme service.\n",
			"pom.xml":         pomFor("3.3.0-SNAPSHOT", "3.2.5"),
			PlainPasswordFile: props("30m"),
			"src/main/java/com/acme/auth/TokenService.java": "package com.acme.auth;\n\npublic class TokenService {\n    public String issue(String subject) {\n        return Jwt.sign(subject);\n    }\n}\n",
			"Dockerfile": "FROM eclipse-temurin:17-jre-alpine\nCOPY target/auth-service.jar /app.jar\nUSER 10001\nENTRYPOINT [\"java\", \"-jar\", \"/app.jar\"]\n",
			"CODEOWNERS": "* @acme/identity\n",
			".github/workflows/build.yml": workflow("build",
				step("actions/checkout@v3"),
				step("actions/setup-java@v3", "distribution", "temurin", "java-version", "'17'"),
				run("mvn -B package")),
		},
		branches: []branchSpec{
			{name: "develop", author: "Ana Costa", change: map[string]string{"pom.xml": pomFor("3.4.0-SNAPSHOT", "3.3.0")}},
			{name: "release/3.1", author: "Ana Costa", change: map[string]string{"pom.xml": pomFor("3.1.4", "3.1.12"), PlainPasswordFile: props("60m")}},
			{name: "release/3.2", author: "Ana Costa", change: map[string]string{"pom.xml": pomFor("3.2.2", "3.2.5")}},
			{name: "feature/oauth2-pkce", author: "Li Wei", change: map[string]string{
				"src/main/java/com/acme/auth/PkceVerifier.java": "package com.acme.auth;\n\nfinal class PkceVerifier {\n    boolean verify(String challenge, String verifier) {\n        return Sha256.base64url(verifier).equals(challenge);\n    }\n}\n",
			}},
		},
	}
}

func packageJSON(version, lodash, react string) string {
	return fmt.Sprintf(`{
  "name": "@acme/web-frontend",
  "version": "%s",
  "private": true,
  "scripts": {
    "build": "vite build",
    "test": "vitest run"
  },
  "dependencies": {
    "lodash": "^%s",
    "react": "^%s",
    "react-dom": "^%s"
  },
  "devDependencies": {
    "vite": "^5.2.0",
    "vitest": "^1.6.0"
  }
}
`, version, lodash, react, react)
}

func packageLock(version, lodash, react string) string {
	pkg := func(name, v string) string {
		return fmt.Sprintf(`    "node_modules/%s": {
      "version": "%s",
      "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz"
    }`, name, v, name, name, v)
	}
	return fmt.Sprintf(`{
  "name": "@acme/web-frontend",
  "version": "%s",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "@acme/web-frontend",
      "version": "%s",
      "dependencies": {
        "lodash": "^%s",
        "react": "^%s",
        "react-dom": "^%s"
      }
    },
%s,
%s,
%s
  }
}
`, version, version, lodash, react, react, pkg("lodash", lodash), pkg("react", react), pkg("react-dom", react))
}

// vendorBundle is a generated file of about 1.5 MiB: larger than the demo's
// files.max_size, so trawl skips it and says so.
func vendorBundle() string {
	var b strings.Builder
	b.WriteString("/* generated by vite: do not edit */\n")
	for i := 0; b.Len() < 1536<<10; i++ {
		fmt.Fprintf(&b, "export const ICON_%05d=\"M%d %dh%dv%dH%dz\";\n", i, i%97, i%89, i%83, i%79, i%73)
	}
	return b.String()
}

// logo is a small PNG: binary (it holds NUL bytes), so trawl skips it.
func logo() string {
	img := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.White, color.RGBA{0x1f, 0x6f, 0xeb, 0xff}})
	for y := range 16 {
		for x := range 16 {
			if (x-8)*(x-8)+(y-8)*(y-8) < 40 {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img) // writing to memory does not fail
	return buf.String()
}

func webFrontend() repoSpec {
	return repoSpec{
		name: "acme/web-frontend",
		base: map[string]string{
			"README.md":         "# web-frontend\n\nThe acme shop in the browser.\n\n    npm ci && npm run build\n",
			"package.json":      packageJSON("4.2.0", "4.17.21", "18.3.1"),
			"package-lock.json": packageLock("4.2.0", "4.17.21", "18.3.1"),
			"src/App.jsx":       "import { debounce } from 'lodash';\n\nexport default function App() {\n  const search = debounce((q) => fetch(`/api/search?q=${q}`), 200);\n  return <input onChange={(e) => search(e.target.value)} />;\n}\n",
			"Dockerfile":        "FROM node:20-alpine AS build\nWORKDIR /src\nCOPY . .\nRUN npm ci && npm run build\n\nFROM nginx:1.27-alpine\nCOPY --from=build /src/dist /usr/share/nginx/html\n",
			"docs/CODEOWNERS":   "* @acme/web\n",
			LargeFile:           vendorBundle(),
			BinaryFile:          logo(),
			".github/workflows/ci.yml": workflow("ci",
				step("actions/checkout@v4"),
				step("actions/setup-node@v4", "node-version", "20", "cache", "npm"),
				run("npm ci"), run("npm test")),
		},
		branches: []branchSpec{
			{name: "develop", author: "Sam Okafor", change: map[string]string{
				"package.json": packageJSON("4.3.0", "4.17.21", "18.3.1"), "package-lock.json": packageLock("4.3.0", "4.17.21", "18.3.1"),
			}},
			{name: "release/2024.10", author: "Sam Okafor", change: map[string]string{
				"package.json": packageJSON("3.9.2", "4.17.15", "17.0.2"), "package-lock.json": packageLock("3.9.2", "4.17.15", "17.0.2"),
				"Dockerfile": "FROM node:16-alpine AS build\nWORKDIR /src\nCOPY . .\nRUN npm ci && npm run build\n\nFROM nginx:1.21-alpine\nCOPY --from=build /src/dist /usr/share/nginx/html\n",
			}},
			{name: "release/2024.12", author: "Sam Okafor", change: map[string]string{
				"package.json": packageJSON("4.0.1", "4.17.21", "18.2.0"), "package-lock.json": packageLock("4.0.1", "4.17.21", "18.2.0"),
			}},
			{name: "feature/dark-mode", author: "Mia Novak", change: map[string]string{
				"src/theme.css": ":root { --bg: #fff; --fg: #111; }\n@media (prefers-color-scheme: dark) {\n  :root { --bg: #111; --fg: #eee; }\n}\n",
			}},
		},
	}
}

func goMod(goVersion string, requires ...string) string {
	return "module github.com/acme/inventory-service\n\ngo " + goVersion + "\n\nrequire (\n\t" + strings.Join(requires, "\n\t") + "\n)\n"
}

func inventoryService() repoSpec {
	mainGo := `package main

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
)

func main() {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	r.Get("/items/{sku}", getItem)
	if err := http.ListenAndServe(":8082", r); err != nil {
		slog.Error("serve", "err", err)
		os.Exit(1)
	}
}
`
	return repoSpec{
		name: NoOwnersRepo,
		base: map[string]string{
			"README.md":  "# inventory-service\n\nStock levels per warehouse. Nobody has claimed it yet.\n",
			"go.mod":     goMod("1.22", "github.com/go-chi/chi/v5 v5.0.12", "github.com/jackc/pgx/v5 v5.5.5", "google.golang.org/grpc v1.63.2"),
			"main.go":    mainGo,
			"items.go":   "package main\n\nimport \"net/http\"\n\nfunc getItem(w http.ResponseWriter, r *http.Request) {\n\tsku := chi.URLParam(r, \"sku\")\n\tif sku == \"\" {\n\t\thttp.Error(w, \"missing sku\", http.StatusBadRequest)\n\t\treturn\n\t}\n}\n",
			"Dockerfile": "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /inventory .\n\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /inventory /inventory\nENTRYPOINT [\"/inventory\"]\n",
			".github/workflows/go.yml": workflow("go",
				step("actions/checkout@v4"),
				step("actions/setup-go@v5", "go-version-file", "go.mod"),
				run("go test ./...")),
		},
		branches: []branchSpec{
			{name: "develop", author: "Tomás Ruiz", change: map[string]string{
				"go.mod": goMod("1.23", "github.com/go-chi/chi/v5 v5.1.0", "github.com/jackc/pgx/v5 v5.6.0", "google.golang.org/grpc v1.65.0"),
			}},
			{name: "release/1.4", author: "Tomás Ruiz", change: map[string]string{
				"go.mod": goMod("1.21", "github.com/go-chi/chi/v5 v5.0.10", "github.com/jackc/pgx/v5 v5.4.3", "google.golang.org/grpc v1.58.3"),
			}},
			{name: "release/1.5", author: "Tomás Ruiz", change: map[string]string{}},
			{name: "feature/grpc-api", author: "Li Wei", change: map[string]string{
				"api/inventory.proto": "syntax = \"proto3\";\n\npackage acme.inventory.v1;\n\nservice Inventory {\n  rpc GetItem(GetItemRequest) returns (Item);\n}\n",
			}},
		},
	}
}

func dataPipeline() repoSpec {
	reqs := func(pandas, requests string) string {
		return "pandas==" + pandas + "\nrequests==" + requests + "\nsqlalchemy>=2.0,<2.1\npyarrow==15.0.2\n"
	}
	return repoSpec{
		name: "acme/data-pipeline",
		base: map[string]string{
			"README.md":          "# data-pipeline\n\nNightly exports from the shop database to the warehouse.\n",
			"requirements.txt":   reqs("2.2.2", "2.31.0"),
			"pipeline/export.py": "import pandas as pd\nimport requests\n\n\ndef export(day):\n    frame = pd.read_sql(f\"select * from orders where day = '{day}'\", ENGINE)\n    frame.to_parquet(f\"s3://acme-warehouse/orders/{day}.parquet\")\n",
			"Dockerfile":         "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY pipeline pipeline\nUSER 10001\nCMD [\"python\", \"-m\", \"pipeline.export\"]\n",
			"CODEOWNERS":         "* @acme/data\n",
			".github/workflows/test.yml": workflow("test",
				step("actions/checkout@v3"),
				step("actions/setup-python@v5", "python-version", "'3.12'"),
				run("pip install -r requirements.txt"), run("python -m pytest")),
		},
		branches: []branchSpec{
			{name: "develop", author: "Ingrid Dahl", change: map[string]string{"requirements.txt": reqs("2.2.2", "2.32.3")}},
			{name: "release/2.0", author: "Ingrid Dahl", change: map[string]string{"requirements.txt": reqs("1.5.3", "2.28.1")}},
			{name: "feature/spark", author: "Ingrid Dahl", change: map[string]string{"pipeline/spark_job.py": "from pyspark.sql import SparkSession\n\nspark = SparkSession.builder.appName(\"orders\").getOrCreate()\n"}},
			{name: "hotfix/retry-export", author: "Sam Okafor", change: map[string]string{
				"pipeline/export.py": "import pandas as pd\nimport requests\nfrom tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(3))\ndef export(day):\n    frame = pd.read_sql(f\"select * from orders where day = '{day}'\", ENGINE)\n    frame.to_parquet(f\"s3://acme-warehouse/orders/{day}.parquet\")\n",
			}},
		},
	}
}

func platformConfig() repoSpec {
	values := func(replicas int, image string) string {
		return fmt.Sprintf("replicaCount: %d\n\nimage:\n  repository: ghcr.io/acme/payments-api\n  tag: %q\n\nresources:\n  limits:\n    memory: 512Mi\n", replicas, image)
	}
	return repoSpec{
		name: "acme/platform-config",
		base: map[string]string{
			"README.md":                   "# platform-config\n\nHelm charts and cluster settings, one branch per environment.\n",
			"charts/payments/Chart.yaml":  "apiVersion: v2\nname: payments\nversion: 1.8.0\nappVersion: \"2.4.0\"\ndependencies:\n  - name: postgresql\n    version: 15.2.5\n    repository: https://charts.bitnami.com/bitnami\n",
			"charts/payments/values.yaml": values(2, "2.4.0"),
			".github/CODEOWNERS":          "* @acme/sre\n",
			".github/workflows/lint.yml": workflow("lint",
				step("actions/checkout@v4"),
				step("azure/setup-helm@v4", "version", "v3.14.4"),
				run("helm lint charts/*")),
		},
		branches: []branchSpec{
			{name: "staging", author: "Noor Haddad", change: map[string]string{"charts/payments/values.yaml": values(2, "2.5.0-rc.1")}},
			{name: "production", author: "Noor Haddad", change: map[string]string{"charts/payments/values.yaml": values(6, "2.0.3")}},
			{name: "release/2026.1", author: "Noor Haddad", change: map[string]string{"charts/payments/values.yaml": values(4, "2.0.3")}},
			{name: "feature/hpa", author: "Li Wei", change: map[string]string{
				"charts/payments/templates/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: payments\nspec:\n  minReplicas: 2\n  maxReplicas: 10\n",
			}},
		},
	}
}
