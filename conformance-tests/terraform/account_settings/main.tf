# The account's settings in a region: EBS encryption by default with a default key,
# serial console access, block public access for AMIs and snapshots, instance metadata
# defaults, and a volume that comes out encrypted because of them.

resource "aws_ebs_encryption_by_default" "on" {
  enabled = true
}

resource "aws_ebs_default_kms_key" "key" {
  key_arn = "arn:aws:kms:eu-central-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

resource "aws_ec2_serial_console_access" "on" {
  enabled = true
}

resource "aws_ec2_image_block_public_access" "blocked" {
  state = "block-new-sharing"
}

resource "aws_ebs_snapshot_block_public_access" "blocked" {
  state = "block-all-sharing"
}

resource "aws_ec2_instance_metadata_defaults" "imdsv2" {
  http_tokens                 = "required"
  http_put_response_hop_limit = 2
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-central-1a"
  size              = 4
  depends_on        = [aws_ebs_encryption_by_default.on, aws_ebs_default_kms_key.key]
  tags = {
    Name = "nimbus-encrypted-by-default"
  }
}

output "encrypted" {
  value = aws_ebs_volume.data.encrypted
}
