/**
 * Module calls: instances (count, for_each, enabled), addresses with the module path,
 * inputs and outputs, and the diagnostics a user meets first — a misspelt or missing input,
 * a source that does not exist, a block that belongs in the root, a module calling itself,
 * and a cycle between modules.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { expandHcl, removeConfigs, writeConfig } from './helpers.js';

afterAll(removeConfigs);

const HOST = `host "h" { address = "10.0.0.1" }\n`;
const WEB = `
variable "name" { type = string }
variable "port" {
  type    = number
  default = 80
}
service "web" {
  hosts = group.all
  container "web" {
    name  = var.name
    image = "nginx"
  }
}
output "url" { value = "http://\${var.name}:\${var.port}" }
`;

describe('module instances', () => {
  it('count: one instance per index, count.index in the arguments', async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source = "./web"
  count  = 2
  name   = "web\${count.index}"
}
output "urls" { value = module.web[*].url }`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual([
      'module.web[0].service.web.container.web["h"]',
      'module.web[1].service.web.container.web["h"]',
    ]);
    expect(e.container('module.web[1].service.web.container.web["h"]').spec.name).toBe('web1');
  });

  it('enabled = false: no instance; true: an address without [0]', async () => {
    const e = await expandHcl(
      `${HOST}
module "on" {
  source  = "./web"
  enabled = true
  name    = "on"
}
module "off" {
  source  = "./web"
  enabled = false
  name    = "off"
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual(['module.on.service.web.container.web["h"]']);
  });

  it('nests: module paths chain, outputs pass up', async () => {
    const e = await expandHcl(
      `${HOST}
module "outer" {
  source = "./outer"
}`,
      {
        'outer/main.hcl': `
module "inner" {
  source   = "../web"
  for_each = toset(["x"])
  name     = "inner_\${each.key}"
}
output "u" { value = module.inner["x"].url }`,
        'web/main.hcl': WEB,
      },
    );
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual(['module.outer.module.inner["x"].service.web.container.web["h"]']);
  });
});

describe('module diagnostics', () => {
  it('a misspelt input (did you mean) and a missing required one', async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source = "./web"
  nmae   = "x"
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual([
      'main.hcl:5:3: Unsupported argument "nmae" in module "web"; did you mean "name"?',
      'main.hcl:3:8: Missing required input "name" for module "web"',
    ]);
  });

  it('a source that does not exist, and a catalogue module that does not', async () => {
    const e = await expandHcl(`${HOST}
module "a" {
  source = "./nope"
}
module "b" {
  source = "kolla/no-such-module"
}`);
    expect(e.messages()).toEqual([
      'main.hcl:4:12: Module source "./nope" of module "a" is not a folder',
      'main.hcl:7:12: No module "kolla/no-such-module" in kolla\'s catalogue',
    ]);
  });

  it('a module block without a source', async () => {
    const e = await expandHcl(`${HOST}
module "a" {
  name = "x"
}`);
    expect(e.messages()).toEqual(['main.hcl:3:1: Missing required argument "source" in module "a"']);
  });

  it('an input of the wrong type, placed at the argument', async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source = "./web"
  name   = "x"
  port   = "eighty"
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual(['main.hcl:6:12: Invalid value for input "port" of module "web"']);
  });

  it('a host block inside a module belongs in the root', async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source = "./m"
}`,
      { 'm/main.hcl': 'host "x" { address = "10.0.0.9" }\n' },
    );
    expect(e.messages()).toEqual(['m/main.hcl:1:1: A host block belongs in the root module']);
  });

  it('a module that calls itself', async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source = "./m"
}`,
      { 'm/main.hcl': 'module "again" {\n  source = "./"\n}\n' },
    );
    expect(e.messages()).toEqual(['m/main.hcl:2:12: Module "again" calls a module it is part of']);
  });

  it('a cycle between modules, with its path', async () => {
    const e = await expandHcl(
      `${HOST}
module "a" {
  source = "./m"
  peer   = module.b.o
}
module "b" {
  source = "./m"
  peer   = module.a.o
}`,
      { 'm/main.hcl': 'variable "peer" { type = any }\noutput "o" { value = var.peer }\n' },
    );
    expect(e.messages()).toEqual([
      'm/main.hcl:1:10: Cycle in references: module.a.var.peer → module.b.output.o → module.b.var.peer → module.a.output.o → module.a.var.peer',
    ]);
  });

  it('two instances of a module must not create one container name on a host', async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source   = "./web"
  for_each = toset(["a", "b"])
  name     = "same"
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual(['web/main.hcl:9:13: Two containers named "same" on host "h"']);
  });
});

describe('module diagnostics, more', () => {
  it('a module whose count needs its own outputs: one cycle error, no crash', async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source = "./web"
  count  = length(module.web)
  name   = "x"
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages().filter((m) => m.includes('Cycle between modules'))).toHaveLength(1);
  });

  it('an error in a module called three times is reported once', async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source = "./m"
  count  = 3
}`,
      { 'm/main.hcl': 'output "o" { value = 1 + "x" }\n' },
    );
    expect(e.messages()).toHaveLength(1);
    expect(e.diagnostics[0]!.modules).toEqual(['module.m[0]', 'module.m[1]', 'module.m[2]']);
  });

  it('an error in a module called by two blocks names both calls, once', async () => {
    const e = await expandHcl(
      `${HOST}
module "a" {
  source = "./m"
}
module "b" {
  source = "./m"
}`,
      { 'm/main.hcl': 'output "o" { value = 1 + "x" }\n' },
    );
    expect(e.messages()).toHaveLength(1);
    expect(e.diagnostics[0]!.range?.file).toBe('m/main.hcl');
    expect(e.diagnostics[0]!.modules).toEqual(['module.a', 'module.b']);
  });

  it('an error in one instance of a module names that instance only', async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source   = "./m"
  for_each = { ok = 1, bad = "x" }
  n        = each.value
}`,
      { 'm/main.hcl': 'variable "n" { type = any }\noutput "o" { value = var.n + 1 }\n' },
    );
    expect(e.messages()).toHaveLength(1);
    expect(e.diagnostics[0]!.range?.file).toBe('m/main.hcl');
    expect(e.diagnostics[0]!.modules).toEqual(['module.m["bad"]']);
  });

  it("an input of the wrong type for one instance names it (the argument is the caller's)", async () => {
    const e = await expandHcl(
      `${HOST}
module "web" {
  source   = "./web"
  for_each = { a = 80, b = "eighty" }
  name     = "web_\${each.key}"
  port     = each.value
}`,
      { 'web/main.hcl': WEB },
    );
    expect(e.messages()).toEqual(['main.hcl:7:14: Invalid value for input "port" of module "web"']);
    expect(e.diagnostics[0]!.modules).toEqual(['module.web["b"]']);
  });

  it("a block's argument that one call makes invalid names that call (checked while expanding)", async () => {
    const e = await expandHcl(
      `${HOST}
module "a" {
  source = "./m"
  policy = "always"
}
module "b" {
  source = "./m"
  policy = "sometimes"
}`,
      {
        'm/main.hcl': `
variable "policy" { type = string }
service "s" {
  hosts = group.all
  container "c" {
    name           = "c_\${var.policy}"
    image          = "nginx"
    restart_policy = var.policy
  }
}`,
      },
    );
    expect(e.messages()).toEqual(['m/main.hcl:8:22: Invalid value for "restart_policy" in container "c"']);
    expect(e.diagnostics[0]!.modules).toEqual(['module.b']);
  });

  it('an error outside modules names none', async () => {
    const e = await expandHcl(`${HOST}\noutput "o" { value = 1 + "x" }\n`);
    expect(e.messages()).toHaveLength(1);
    expect(e.diagnostics[0]!.modules).toBeUndefined();
  });
});

describe('images in modules', () => {
  it('two instances of a module that disagree on an image they share by name: an error', async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source   = "./m"
  for_each = { a = "1", b = "2" }
  tag      = each.value
  name     = "web_\${each.key}"
}`,
      {
        'm/main.hcl': `
variable "tag" { type = string }
variable "name" { type = string }
image "app" {
  template   = "D.j2"
  repository = "app"
  tag        = var.tag
}
service "s" {
  hosts = group.all
  container "c" {
    name  = var.name
    image = image.app
  }
}`,
        'm/D.j2': 'FROM scratch\n',
      },
    );
    expect(e.messages().some((m) => m.includes('Image "app" differs between module instances'))).toBe(true);
  });
});

describe('overrides read by a module', () => {
  it("warns about a file in the root's override folder that no module's config block reads", async () => {
    const e = await expandHcl(
      `${HOST}
module "m" {
  source = "./m"
}`,
      {
        'm/main.hcl': `
service "s" {
  hosts = group.all
  container "c" { image = "nginx" }
  config "c.conf" {
    content   = "[a]\\nb = 1\\n"
    overrides = ["\${path.root}/config/c.conf", "\${path.root}/config/c/\${host.name}/c.conf"]
    format    = "ini"
    dest      = "/etc/c.conf"
  }
}`,
        'config/c.conf': '[a]\nb = 2\n',
        'config/nova.conf': '[x]\n',
        'config/c/h2/c.conf': '[x]\n',
      },
    );
    expect(e.messages()).toEqual([
      '-: Override file config/c/h2/c.conf is not read by any config block',
      '-: Override file config/nova.conf is not read by any config block',
    ]);
  });
});

describe('modules and the root, more', () => {
  it("a service may depend on its enclosing module's volume", async () => {
    const e = await expandHcl(
      `${HOST}
volume "logs" {}
module "m" {
  source = "./m"
}`,
      {
        'm/main.hcl': `
service "s" {
  hosts      = group.all
  depends_on = [volume.logs]
  container "c" {
    image   = "nginx"
    volumes = ["logs:/var/log"]
  }
}`,
      },
    );
    expect(e.messages()).toEqual([]);
    expect(e.get('module.m.service.s.container.c["h"]').dependsOn).toContain('volume.logs["h"]');
  });

  it('the root calling its own folder is a module calling itself', async () => {
    const e = await expandHcl(`${HOST}
module "self" {
  source = "./"
}`);
    expect(e.messages()).toEqual(['main.hcl:4:12: Module "self" calls a module it is part of']);
  });
});

describe('secrets in module instances', () => {
  it('a for_each key with a space or parentheses: the secret is masked in the state and read back', async () => {
    const dir = writeConfig({
      'main.hcl': `${HOST}
module "x" {
  source   = "./m"
  for_each = toset(["a b", "f(1)"])
  name     = replace(replace(each.key, " ", "_"), "/[()]/", "_")
}`,
      'm/main.hcl': `
variable "name" { type = string }
secret "pw" {}
service "s" {
  hosts = group.all
  container "c" {
    name        = var.name
    image       = "nginx"
    environment = { PW = secret.pw }
  }
}`,
    });
    const secretValues = {
      'module.x["a b"].pw': 'password-of-a-b',
      'module.x["f(1)"].pw': 'password-of-f-1',
    };
    const loaded = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues });
    expect(loaded.diagnostics.map((d) => d.summary)).toEqual([]);
    const config = loaded.config!;
    expect(config.secrets.map((s) => s.name).sort()).toEqual(Object.keys(secretValues).sort());
    const { instances } = expand(config, loaded.diagnostics);
    expect(loaded.diagnostics.map((d) => d.summary)).toEqual([]);
    const masker = new SecretMasker(config.secretValues);
    const specs = instances.filter((i) => i.kind === 'container').map((i) => i.spec);
    expect(specs.map((s) => s.environment['PW']).sort()).toEqual(Object.values(secretValues).sort());
    const masked = masker.maskDeep(specs);
    expect(JSON.stringify(masked)).not.toMatch(/password-of/);
    expect(masker.unmaskDeep(masked)).toEqual(specs);
  });
});
