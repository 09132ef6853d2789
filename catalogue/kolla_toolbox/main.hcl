# kolla-ansible's common role: the toolbox container, with the admin credentials that
# post-deploy writes (admin-openrc.sh, clouds.yaml) — under <config_dir>/kolla_toolbox/ on the
# host (mode 0600) and in the container, where OS_CLOUD selects them.

service "kolla_toolbox" {
  hosts = var.hosts

  config "clouds.yaml" {
    template  = "templates/clouds.yaml.j2"
    format    = "yaml"
    dest      = "/etc/openstack/clouds.yaml"
    sensitive = true
  }

  config "admin-openrc.sh" {
    template  = "templates/admin-openrc.sh.j2"
    dest      = "/root/admin-openrc.sh"
    sensitive = true
  }

  container "kolla_toolbox" {
    image        = var.image
    command      = "sleep infinity"
    environment  = merge(var.common_env, { OS_CLOUD = "kolla-admin" })
    network_mode = "host"
    volumes      = ["kolla_logs:/var/log/kolla/"]
    stop_timeout = "2s"
  }
}

output "admin_openrc" {
  value       = "${kolla.config_dir}/kolla_toolbox/admin-openrc.sh"
  description = "kolla-ansible's post-deploy admin-openrc.sh (mode 0600)."
}

output "clouds_yaml" {
  value       = "${kolla.config_dir}/kolla_toolbox/clouds.yaml"
  description = "clouds.yaml with the kolla-admin cloud (mode 0600)."
}
