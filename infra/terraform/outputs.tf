output "bucket_name" {
  description = "INGEST_S3_BUCKET"
  value       = aws_s3_bucket.ingest.id
}

output "bucket_arn" {
  description = "ARN of the ingest bucket"
  value       = aws_s3_bucket.ingest.arn
}

output "redis_primary_endpoint" {
  description = "host:port of the Redis primary (REDIS_ADDRESS; INGEST_REDIS_URL is rediss://:<token>@<this>/0, INGEST_BROKER_URL .../1)"
  value       = "${aws_elasticache_replication_group.redis.primary_endpoint_address}:${aws_elasticache_replication_group.redis.port}"
}

output "redis_reader_endpoint" {
  description = "host:port of the Redis replicas (read-only clients)"
  value       = "${aws_elasticache_replication_group.redis.reader_endpoint_address}:${aws_elasticache_replication_group.redis.port}"
}

output "redis_security_group_id" {
  description = "Security group of the Redis nodes"
  value       = aws_security_group.redis.id
}

output "worker_policy_arn" {
  description = "IAM policy giving the workers their access to the bucket"
  value       = aws_iam_policy.worker.arn
}

output "api_policy_arn" {
  description = "IAM policy giving the API its access to the bucket"
  value       = aws_iam_policy.api.arn
}

output "worker_role_arn" {
  description = "IRSA role for the ingest-worker service account (null without eks_oidc_provider_arn)"
  value       = try(aws_iam_role.irsa["worker"].arn, null)
}

output "api_role_arn" {
  description = "IRSA role for the ingest-api service account (null without eks_oidc_provider_arn)"
  value       = try(aws_iam_role.irsa["api"].arn, null)
}
