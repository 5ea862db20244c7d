# Redis: Celery broker (DB 1), job store, dedup index and feed (DB 0).
#
# ElastiCache offers no append-only file for Redis 7. The equivalent durability here is
# Multi-AZ: every write is replicated to a replica in another zone, which ElastiCache promotes
# automatically when the primary or its zone fails; daily snapshots cover the loss of the
# whole group. A failover can lose the last writes not yet replicated (typically well under a
# second): tasks are idempotent and delivered at least once, and the API answers 202 only
# after the job is stored, so a client sees at worst a job to resubmit. Where even that loss
# is unacceptable use MemoryDB, whose multi-AZ transaction log is durable on each write.

locals {
  name = "${var.name_prefix}-${var.environment}"
}

resource "aws_elasticache_subnet_group" "redis" {
  name        = "${local.name}-redis"
  description = "Private subnets of the ingest Redis replication group"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "redis" {
  name        = "${local.name}-redis"
  description = "Ingest Redis: reachable on its port from the API and the workers only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_sg" {
  for_each = toset(var.redis_client_security_group_ids)

  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_cidr" {
  for_each = toset(var.redis_client_cidr_blocks)

  security_group_id = aws_security_group.redis.id
  description       = "Redis from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6379
  cidr_ipv4         = each.value
}

resource "aws_elasticache_parameter_group" "redis" {
  name        = "${local.name}-redis7"
  family      = "redis7"
  description = "Ingest: never evict (the broker's queues and the job store must not lose keys)"

  # The default (volatile-lru) may evict keys under memory pressure; for a broker and a job
  # store that is silent data loss. noeviction makes writes fail loudly instead.
  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  # Celery workers hold long-lived connections; drop dead ones.
  parameter {
    name  = "tcp-keepalive"
    value = "60"
  }
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = "${local.name}-redis"
  description          = "Ingest broker, job store, dedup index and feed"

  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.redis.name

  # Cluster mode disabled: one shard, several databases (the broker uses DB 1).
  num_cache_clusters         = var.redis_num_cache_clusters
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = var.redis_auth_token

  snapshot_retention_limit = var.redis_snapshot_retention_days
  snapshot_window          = var.redis_snapshot_window
  maintenance_window       = var.redis_maintenance_window

  auto_minor_version_upgrade = true
  apply_immediately          = false
}
