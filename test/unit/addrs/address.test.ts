import { describe, expect, it } from 'vitest';
import {
  addressMatches,
  bootstrapAddr,
  configAddr,
  configJsonAddr,
  containerAddr,
  formatAddress,
  hostOf,
  imageAddr,
  parseAddress,
  resourceTitle,
  volumeAddr,
} from '../../../src/addrs/address.js';

const FORMS = [
  'service.x',
  'service.x.container.y',
  'service.x.container.y["h"]',
  'service.x.container.y.config_json["h"]',
  'service.x.config',
  'service.x.config["f.conf"]',
  'service.x.config["f.conf"]["h"]',
  'service.x.bootstrap.b',
  'service.x.bootstrap.b["h"]',
  'volume.v',
  'volume.v["h"]',
  'image.i',
  'image.i["h"]',
  'module.m.service.x',
  'module.m["k"].service.x.container.y["h"]',
  'module.openstack.module.nova',
  'module.a[0].module.b["x y"].volume.v["h.example"]',
];

describe('addresses', () => {
  it.each(FORMS)('%s parses and formats back to itself', (text) => {
    const a = parseAddress(text);
    expect(typeof a).not.toBe('string');
    if (typeof a === 'string') return;
    expect(formatAddress(a)).toBe(text);
  });

  it('the constructors make addresses the parser accepts', () => {
    for (const a of [
      containerAddr('keystone', 'keystone', 'control01'),
      configJsonAddr('keystone', 'keystone', 'control01'),
      configAddr('keystone', 'keystone.conf', 'control01'),
      bootstrapAddr('keystone', 'db_sync'),
      bootstrapAddr('keystone', 'db_sync', 'control01'),
      volumeAddr('mariadb', 'control01'),
      imageAddr('keystone', 'control01'),
    ]) {
      const p = parseAddress(a);
      expect(typeof p, a).not.toBe('string');
      if (typeof p !== 'string') expect(formatAddress(p)).toBe(a);
    }
  });

  it.each([
    ['', /empty address/],
    ['vm.x', /unknown resource type "vm"/],
    ['service.x.pod.y', /unknown step "pod"/],
    ['service.x.container.y["h"]["i"]', /takes only a host index/],
    ['service.x.container.y.config["a"]', /config_json/],
    ['volume.v.extra', /takes only a host index/],
    ['service.x[', /unclosed/],
    ['service..x', /unexpected "\."/],
    ['service.x["unquoted]', /unclosed|not a quoted string/],
    ['module', /module needs a name/],
  ])('refuses %j, saying why', (text, why) => {
    const a = parseAddress(text);
    expect(typeof a).toBe('string');
    expect(a).toMatch(why);
  });

  it('a target selects itself and everything below it, by steps, not by text', () => {
    const c = 'service.keystone.container.keystone["control01"]';
    expect(addressMatches('service.keystone', c)).toBe(true);
    expect(addressMatches('service.keystone.container.keystone', c)).toBe(true);
    expect(addressMatches(c, c)).toBe(true);
    expect(addressMatches('service.key', c)).toBe(false);
    expect(addressMatches('service.keystone.container.keystone["control0"]', c)).toBe(false);
    // The config.json address that `state list` prints is a valid target and is under its container.
    const j = 'service.keystone.container.keystone.config_json["control01"]';
    expect(addressMatches('service.keystone.container.keystone', j)).toBe(true);
    expect(addressMatches(j, j)).toBe(true);
    expect(addressMatches('service.keystone.config', 'service.keystone.config["k.conf"]["h"]')).toBe(true);
    expect(
      addressMatches('module.openstack', 'module.openstack.module.nova.service.nova.container.a["h"]'),
    ).toBe(true);
    expect(addressMatches('module.openstack.module.nova', 'module.openstack.module.neutron.service.x')).toBe(
      false,
    );
  });

  it('hostOf and titles', () => {
    expect(hostOf('volume.v["h1"]')).toBe('h1');
    expect(hostOf('service.x.bootstrap.b')).toBe(undefined);
    expect(resourceTitle('service.k.container.k["h"]')).toBe('container "k"');
    expect(resourceTitle('service.k.container.k.config_json["h"]')).toBe('config "config.json"');
    expect(resourceTitle('service.k.config["k.conf"]["h"]')).toBe('config "k.conf"');
    expect(resourceTitle('service.k.bootstrap.db_sync')).toBe('bootstrap "db_sync"');
    expect(resourceTitle('volume.v["h"]')).toBe('volume "v"');
    expect(resourceTitle('image.i["h"]')).toBe('image "i"');
  });
});
