// The image graph without an engine: parents from `parent` (traversal or string) and from
// FROM lines, cycles and unknown parents, pattern selection, kolla-build's template
// variables, filters and overrides, registries, and the context hash.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextHash } from '../../../src/build/build-context.js';
import { buildHashOf, loadImageGraph } from '../../../src/build/ensure-images.js';
import { buildPriority, imagesDot, matchImages, selectImages } from '../../../src/build/index.js';
import { fromLines } from '../../../src/build/render-dockerfile.js';
import { Diagnostics } from '../../../src/diags/diagnostic.js';
import { configDir, writeFiles } from '../../helpers/kolla.js';
import { loadConfig, writeSecrets } from '../../build/helpers.js';

async function graphOf(files: Record<string, string>, overrides?: string[]) {
  const dir = configDir(files);
  const config = await loadConfig(dir);
  const r = loadImageGraph(
    config,
    overrides ? { templateOverrides: overrides.map((o) => path.join(dir, o)) } : {},
  );
  return { dir, config, ...r };
}

const summaries = (d: Diagnostics): string[] => d.map((x) => `${x.severity}: ${x.summary}`);

describe('parents', () => {
  it('come from parent (traversal or string) and from FROM lines', async () => {
    const { graph, diagnostics } = await graphOf({
      'main.hcl': `
image "base" { template = "base.j2" }
image "mid" {
  template = "mid.j2"
  parent   = "image.base"
}
image "leaf" { template = "leaf.j2" }
image "other" {
  template = "other.j2"
  parent   = image.base
  tag      = "zed"
}
`,
      'base.j2': 'FROM kolla-test/busybox:1\n',
      'mid.j2': 'FROM {{ parent }}\n',
      // kolla-build style: the parent is whatever the FROM line names.
      'leaf.j2': 'FROM {{ namespace }}/mid:{{ tag }}\n',
      'other.j2': 'FROM {{ image.base }} AS b\nFROM b\n',
    });
    expect(summaries(diagnostics)).toEqual([]);
    expect(graph.order).toEqual(['base', 'mid', 'leaf', 'other']);
    expect(graph.nodes.get('mid')!.parents).toEqual(['base']);
    expect(graph.nodes.get('leaf')!.parents).toEqual(['mid']);
    expect(graph.nodes.get('other')!.parents).toEqual(['base']);
    expect(graph.nodes.get('other')!.spec.ref).toBe('kolla/other:zed');
    expect(graph.nodes.get('base')!.children.sort()).toEqual(['mid', 'other']);
    expect(graph.nodes.get('leaf')!.dockerfile).toBe('FROM kolla/mid:latest\n');
    // The final stage builds FROM an earlier stage, not an image.
    expect(graph.nodes.get('other')!.baseRef).toBeUndefined();
    expect(graph.nodes.get('mid')!.baseRef).toBe('kolla/base:latest');
  });

  it('an unknown parent is an error with a suggestion; a cycle is an error', async () => {
    const unknown = await graphOf({
      'main.hcl': `
image "base" { template = "a.j2" }
image "x" {
  template = "a.j2"
  parent   = "image.bsae"
}
`,
      'a.j2': 'FROM scratch\n',
    });
    expect(summaries(unknown.diagnostics)).toEqual([
      'error: Unknown parent image "image.bsae" of image "x"; did you mean "base"?',
    ]);

    const cycle = await graphOf({
      'main.hcl': `
image "a" { template = "a.j2" }
image "b" { template = "b.j2" }
`,
      'a.j2': 'FROM {{ image.b }}\n',
      'b.j2': 'FROM {{ image.a }}\n',
    });
    expect(summaries(cycle.diagnostics)).toEqual([
      'error: Image dependency cycle: image.a → image.b → image.a',
    ]);
    expect(cycle.graph.order).toEqual([]);
  });

  it('warns when a declared parent is not built FROM', async () => {
    const { diagnostics } = await graphOf({
      'main.hcl': `
image "a" { template = "a.j2" }
image "b" {
  template = "a.j2"
  parent   = image.a
}
`,
      'a.j2': 'FROM kolla-test/busybox:1\n',
    });
    expect(summaries(diagnostics)).toEqual([
      'warning: Image "b" declares parent image.a but does not build FROM it',
    ]);
  });
});

describe('selection and DOT', () => {
  it('patterns are regular expressions; ancestors come along; no match is an error', async () => {
    const { graph } = await graphOf({
      'main.hcl': `
image "base" { template = "base.j2" }
image "openstack_base" {
  template = "child.j2"
  parent   = image.base
}
image "keystone" {
  template = "ks.j2"
  parent   = image.openstack_base
}
image "mariadb" {
  template = "child.j2"
  parent   = image.base
}
`,
      'base.j2': 'FROM kolla-test/busybox:1\n',
      'child.j2': 'FROM {{ parent }}\n',
      'ks.j2': 'FROM {{ parent }}\n',
    });
    const d = new Diagnostics();
    expect(selectImages(graph, ['keys'], d)).toEqual(['base', 'openstack_base', 'keystone']);
    expect(matchImages(graph, ['keys'], d)).toEqual(['keystone']);
    expect(selectImages(graph, ['^mariadb$', 'keystone'], d)).toEqual([
      'base',
      'openstack_base',
      'keystone',
      'mariadb',
    ]);
    expect(selectImages(graph, [], d)).toEqual(graph.order);
    expect(d).toEqual([]);
    expect(selectImages(graph, ['nova'], d)).toEqual([]);
    expect(summaries(d)).toEqual(['error: No image matches "nova"']);
    expect(imagesDot(graph, selectImages(graph, ['mariadb'], new Diagnostics()))).toBe(
      'digraph images {\n  node [shape = box3d, fontname = "sans-serif"];\n  "base";\n  "mariadb";\n  "base" -> "mariadb";\n}\n',
    );
  });
});

describe('build priority', () => {
  it('ranks the image with the longest chain of builds behind it first; a parent above its children', async () => {
    const { graph } = await graphOf({
      'main.hcl': `
image "base" { template = "base.j2" }
image "leaf_small" {
  template = "small.j2"
  parent   = image.base
}
image "mid" {
  template = "small.j2"
  parent   = image.base
}
image "mid_child" {
  template = "big.j2"
  parent   = image.mid
}
image "leaf_big" {
  template = "big.j2"
  parent   = image.base
}
`,
      'base.j2': 'FROM kolla-test/busybox:1\n',
      'small.j2': 'FROM {{ parent }}\n',
      'big.j2': 'FROM {{ parent }}\n' + 'RUN true\n'.repeat(50),
    });
    const p = buildPriority(graph, graph.order);
    const ranked = [...graph.order].sort((a, b) => p.get(b)! - p.get(a)!);
    // mid is small itself, but the big mid_child waits for it: mid goes before leaf_big,
    // which goes before leaf_small; base, the parent of all, first.
    expect(ranked.slice(0, 2)).toEqual(['base', 'mid']);
    expect(ranked.at(-1)).toBe('leaf_small');
    expect(ranked.indexOf('mid')).toBeLessThan(ranked.indexOf('mid_child'));
    // Only the chosen images count: without mid_child, mid is one small image.
    const q = buildPriority(graph, ['base', 'mid', 'leaf_small', 'leaf_big']);
    expect(q.get('mid')).toBe(q.get('leaf_small'));
    expect(q.get('leaf_big')!).toBeGreaterThan(q.get('mid')!);
  });
});

describe('templates', () => {
  it("have kolla-build's variables, customizable and debian_package_install", async () => {
    const { graph, diagnostics } = await graphOf({
      'main.hcl': `
registry "r" { address = "reg.example:5000" }
image "keystone" {
  template = "ks.j2"
  registry = registry.r
  tag      = "zed"
  args     = { base_distro_tag = "trixie" }
}
`,
      'ks.j2': [
        'FROM {{ base_image }}:{{ base_distro_tag }}',
        '# {{ namespace }} {{ image_name }} {{ tag }} {{ base_distro }} {{ kolla_version }} {{ ref }}',
        "{% set keystone_packages = ['keystone', 'apache2'] %}",
        'RUN {{ debian_package_install(keystone_packages | customizable("packages")) }}',
        '',
      ].join('\n'),
    });
    expect(summaries(diagnostics)).toEqual([]);
    expect(graph.nodes.get('keystone')!.dockerfile).toBe(
      [
        'FROM debian:trixie',
        '# reg.example:5000/kolla keystone zed debian 0.1.0 reg.example:5000/kolla/keystone:zed',
        '',
        'RUN apt-get update && apt-get -y install --no-install-recommends keystone apache2 && apt-get clean && rm -rf /var/lib/apt/lists/*',
        '',
      ].join('\n'),
    );
  });

  it('template overrides extend parent_template, several are merged, set customizes', async () => {
    const { graph, diagnostics } = await graphOf(
      {
        'main.hcl': 'image "keystone" { template = "docker/keystone/Dockerfile.j2" }\n',
        'docker/keystone/Dockerfile.j2': [
          'FROM kolla-test/busybox:1',
          '{% block keystone_header %}{% endblock %}',
          "{% set keystone_packages = ['keystone', 'apache2'] %}",
          'RUN install {{ keystone_packages | customizable("packages") | join(" ") }}',
          '{% block keystone_footer %}{% endblock %}',
          '',
        ].join('\n'),
        'o1.j2': [
          '{% extends parent_template %}',
          '{% block keystone_header %}RUN echo header{% endblock %}',
          "{% set keystone_packages_append = ['vim'] %}",
          "{% set keystone_packages_remove = ['apache2'] %}",
          '',
        ].join('\n'),
        'o2.j2': '{% extends parent_template %}\n{% block keystone_footer %}RUN echo footer{% endblock %}\n',
      },
      ['o1.j2', 'o2.j2'],
    );
    expect(summaries(diagnostics)).toEqual([]);
    expect(graph.nodes.get('keystone')!.dockerfile).toBe(
      'FROM kolla-test/busybox:1\nRUN echo header\n\nRUN install keystone vim\nRUN echo footer\n',
    );
  });

  it('a template error is a diagnostic at its line, for that image', async () => {
    const { graph, diagnostics } = await graphOf({
      'main.hcl': 'image "a" { template = "a.j2" }\nimage "b" { template = "b.j2" }\n',
      'a.j2': 'FROM scratch\nRUN {{ nope }}\n',
      'b.j2': 'FROM scratch\n',
    });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      severity: 'error',
      summary: 'Error in template a.j2 at line 2',
      address: 'image.a',
      range: { file: 'a.j2', start: { line: 2 } },
    });
    expect(graph.order).toEqual(['b']);
  });
});

describe('registries', () => {
  it('by traversal, by name or as "registry.NAME"; the password from the secrets file', async () => {
    const files = {
      'main.hcl': `
registry "local" {
  address  = "127.0.0.1:5000"
  username = "kolla"
  password = secret.registry_password
}
secret "registry_password" {}
image "a" {
  template = "a.j2"
  registry = registry.local
}
image "b" {
  template = "a.j2"
  registry = "local"
}
image "c" { template = "a.j2" }
`,
      'a.j2': 'FROM scratch\n',
    };
    const dir = configDir(files);
    writeSecrets(dir, { registry_password: 's3cret' });
    const { graph, diagnostics } = loadImageGraph(await loadConfig(dir));
    expect(summaries(diagnostics)).toEqual([]);
    const want = {
      name: 'local',
      address: '127.0.0.1:5000',
      username: 'kolla',
      password: 's3cret',
      insecure: false,
    };
    expect(graph.nodes.get('a')!.spec.registry).toEqual(want);
    expect(graph.nodes.get('b')!.spec.registry).toEqual(want);
    expect(graph.nodes.get('a')!.spec.ref).toBe('127.0.0.1:5000/kolla/a:latest');
    expect(graph.nodes.get('b')!.spec.ref).toBe('127.0.0.1:5000/kolla/b:latest');
    expect(graph.nodes.get('c')!.spec.registry).toBeUndefined();
  });

  it('a registry password secret without a value is an error', async () => {
    const { diagnostics } = await graphOf({
      'main.hcl': `
registry "local" {
  address  = "127.0.0.1:5000"
  username = "kolla"
  password = secret.registry_password
}
secret "registry_password" {}
image "a" {
  template = "a.j2"
  registry = registry.local
}
`,
      'a.j2': 'FROM scratch\n',
    });
    expect(summaries(diagnostics)).toEqual(['error: Secret "registry_password" has no value']);
  });
});

describe('FROM lines', () => {
  it('substitute global ARGs and build args, skip stages and scratch, join continuations', () => {
    const df = [
      'ARG BASE=debian',
      'ARG TAG',
      '# FROM not-this',
      'FROM --platform=linux/amd64 ${BASE}:${TAG:-bookworm} AS build',
      'FROM build',
      'FROM \\',
      '  scratch',
      'FROM $BASE',
    ].join('\n');
    expect(fromLines(df).map((f) => f.ref ?? `(${f.raw})`)).toEqual([
      'debian:bookworm',
      '(build)',
      '(scratch)',
      'debian',
    ]);
    expect(fromLines(df, { TAG: 'trixie', BASE: 'ubuntu' })[0]!.ref).toBe('ubuntu:trixie');
  });
});

describe('build hash', () => {
  it('follows the context: content, mode, the Dockerfile; not an existing Dockerfile', async () => {
    const dir = configDir({ 'ctx/file': 'x\n', 'ctx/Dockerfile': 'ignored\n' });
    const ctx = { dir: path.join(dir, 'ctx'), dockerfile: 'FROM scratch\n' };
    const h0 = await contextHash(ctx);
    expect(await contextHash(ctx)).toBe(h0);
    writeFileSync(path.join(dir, 'ctx/Dockerfile'), 'changed, still ignored\n');
    expect(await contextHash(ctx)).toBe(h0);
    expect(await contextHash({ ...ctx, dockerfile: 'FROM scratch\n\n' })).not.toBe(h0);
    chmodSync(path.join(dir, 'ctx/file'), 0o755);
    const h1 = await contextHash(ctx);
    expect(h1).not.toBe(h0);
    mkdirSync(path.join(dir, 'ctx/sub'));
    expect(await contextHash(ctx)).not.toBe(h1);
  });

  it("changes with a parent's template, args and labels", async () => {
    const dir = configDir({
      'main.hcl': `
image "a" { template = "a.j2" }
image "b" {
  template = "b.j2"
  parent   = image.a
}
`,
      'a.j2': 'FROM scratch\n',
      'b.j2': 'FROM {{ parent }}\n',
    });
    const hash = async (): Promise<string> => buildHashOf(await loadConfig(dir), 'b');
    const h0 = await hash();
    expect(await hash()).toBe(h0);
    writeFiles(dir, { 'a.j2': 'FROM scratch\nLABEL x=1\n' });
    const h1 = await hash();
    expect(h1).not.toBe(h0);
    writeFiles(dir, {
      'main.hcl': `
image "a" { template = "a.j2" }
image "b" {
  template = "b.j2"
  parent   = image.a
  args     = { X = "1" }
}
`,
    });
    const h2 = await hash();
    expect(h2).not.toBe(h1);
    writeFiles(dir, {
      'main.hcl': `
image "a" {
  template = "a.j2"
  labels   = { team = "t" }
}
image "b" {
  template = "b.j2"
  parent   = image.a
  args     = { X = "1" }
}
`,
    });
    expect(await hash()).not.toBe(h2);
  });
});
