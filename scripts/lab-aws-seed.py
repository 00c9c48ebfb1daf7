"""Seeds the lab's moto server with the AWS side of the lab: a VPC with two subnets, an AWS
Managed Microsoft AD for example.com, the IAM role RDS uses to reach it, and the PostgreSQL
instance `mydb` joined to the directory. Idempotent: existing resources are found and reused.

Run by `scripts/lab up` with the lab venv's python inside the namespace.
"""
import json
import os
import sys

import boto3

ENDPOINT = os.environ.get("KERBRDS_MOTO_URL", "http://127.0.10.80:5000")
REGION = "us-east-1"
DOMAIN = "example.com"
ROLE = "rds-directoryservice-kerberos-access-role"
POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSDirectoryServiceAccess"
INSTANCE = "mydb"
# Lab-only: moto never checks it, but the AD password rules do.
AD_PASSWORD = "Lab-Directory-Pw-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["directoryservice.rds.amazonaws.com", "rds.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


def client(name):
    return boto3.client(
        name,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def vpc_and_subnets(ec2):
    tagged = ec2.describe_vpcs(Filters=[{"Name": "tag:kerbrds-lab", "Values": ["main"]}])["Vpcs"]
    if tagged:
        vpc = tagged[0]["VpcId"]
    else:
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "kerbrds-lab", "Value": "main"}])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    if len(subnets) < 2:
        for cidr, az in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")):
            ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, sorted(s["SubnetId"] for s in subnets)[:2]


def directory(ds, vpc, subnets):
    for d in ds.describe_directories()["DirectoryDescriptions"]:
        if d["Name"] == DOMAIN:
            return d["DirectoryId"]
    return ds.create_microsoft_ad(
        Name=DOMAIN,
        ShortName="EXAMPLE",
        Password=AD_PASSWORD,
        Edition="Standard",
        VpcSettings={"VpcId": vpc, "SubnetIds": subnets},
    )["DirectoryId"]


def role(iam):
    try:
        iam.get_role(RoleName=ROLE)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    if POLICY_ARN not in [p["PolicyArn"] for p in attached]:
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=POLICY_ARN)


def instance(rds, subnets, directory_id):
    try:
        rds.describe_db_instances(DBInstanceIdentifier=INSTANCE)
        return
    except rds.exceptions.DBInstanceNotFoundFault:
        pass
    groups = [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]]
    if "kerbrds-lab" not in groups:
        rds.create_db_subnet_group(
            DBSubnetGroupName="kerbrds-lab",
            DBSubnetGroupDescription="kerbrds lab",
            SubnetIds=subnets,
        )
    rds.create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="15.7",
        AllocatedStorage=20,
        MasterUsername="master",
        MasterUserPassword="master-lab-pw",
        DBSubnetGroupName="kerbrds-lab",
        Domain=directory_id,
        DomainFqdn=DOMAIN,
        DomainIAMRoleName=ROLE,
    )


def main():
    vpc, subnets = vpc_and_subnets(client("ec2"))
    directory_id = directory(client("ds"), vpc, subnets)
    role(client("iam"))
    instance(client("rds"), subnets, directory_id)
    print(f"moto seeded: {vpc} {directory_id} {ROLE} {INSTANCE}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a seed failure must name itself, not print a bare traceback
        sys.exit(f"lab-aws-seed: {type(e).__name__}: {e}")
