/** The resource-type allowlist rules: a pattern is an exact type or one service's types; wider patterns are refused
 * with a reason; hidden work (nested stacks, custom resources, IAM and Serverless types, transforms, Init) is allowed
 * only when named exactly, never by a wildcard. */
import { describe, expect, it } from 'vitest';
import { allows, isNamedOnly, patternProblem, refusal } from '../../../shared/spec/resource-types.ts';

describe('resource type patterns', () => {
  it.each([
    'AWS::SQS::Queue',
    'AWS::SQS::*',
    'AWS::CloudFormation::*',
    'AWS::CloudFormation::Stack',
    'AWS::IAM::Role',
    'Custom::CertificateValidator',
    'Transform::AWS::LanguageExtensions',
    'Transform::AWS::Serverless-2016-10-31',
    'AWS::CloudFormation::Init',
    'Alexa::ASK::Skill',
  ])('accepts %s', (pattern) => {
    // Assess
    expect(patternProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['*', 'wider than one service'],
    ['AWS::*', 'wider than one service'],
    ['*::*::*', 'wider than one service'],
    ['AWS::*::*', 'wider than one service'],
    ['AWS::S*::Queue', 'wider than one service'],
    ['AWS::SQS::Q*', 'wider than one service'],
    ['AWS::IAM::*', 'list each type by name (e.g. AWS::IAM::Role)'],
    ['AWS::Serverless::*', 'list each type by name (e.g. AWS::Serverless::Function)'],
    ['Custom::*', 'name each one'],
    ['Transform::*', 'name each one'],
    ['AWS::SQS', 'is not a resource type pattern'],
    ['AWS::SQS::Queue::Policy', 'is not a resource type pattern'],
    ['AWS::SQS::Queue ', 'is not a resource type pattern'],
  ])('refuses %s, saying why', (pattern, why) => {
    // Act
    const problem = patternProblem(pattern);

    // Assess
    expect(problem).toContain(pattern.trim());
    expect(problem).toContain(why);
  });
});

describe('matching a type against patterns', () => {
  it('allows an exact type and every type of a service pattern', () => {
    // Assess
    expect(allows(['AWS::SNS::Topic'], 'AWS::SNS::Topic')).toBe(true);
    expect(allows(['AWS::SNS::Topic'], 'AWS::SNS::Subscription')).toBe(false);
    expect(allows(['AWS::SQS::*'], 'AWS::SQS::Queue')).toBe(true);
    expect(allows(['AWS::SQS::*'], 'AWS::SQS::QueuePolicy')).toBe(true);
    expect(allows(['AWS::SQS::*'], 'AWS::SNS::Topic')).toBe(false);
    expect(allows([], 'AWS::SQS::Queue')).toBe(false);
  });

  it.each([
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::Stack'],
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::StackSet'],
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::CustomResource'],
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::Macro'],
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::Init'],
    ['AWS::CloudFormation::*', 'AWS::CloudFormation::ResourceVersion'],
  ])('never lets the wildcard %s allow the hidden work %s', (pattern, type) => {
    // Assess
    expect(isNamedOnly(type)).toBe(true);
    expect(allows([pattern], type)).toBe(false);
    expect(allows([pattern, type], type)).toBe(true);
  });

  it('lets AWS::CloudFormation::* allow the plain wait conditions', () => {
    // Assess
    expect(allows(['AWS::CloudFormation::*'], 'AWS::CloudFormation::WaitCondition')).toBe(true);
    expect(allows(['AWS::CloudFormation::*'], 'AWS::CloudFormation::WaitConditionHandle')).toBe(true);
  });

  it('never lets a refused pattern allow anything, even the types it names', () => {
    // Assess
    expect(allows(['AWS::IAM::*'], 'AWS::IAM::Role')).toBe(false);
    expect(allows(['*'], 'AWS::SQS::Queue')).toBe(false);
    expect(allows(['Custom::*'], 'Custom::Anything')).toBe(false);
    expect(allows(['Transform::*'], 'Transform::AWS::Include')).toBe(false);
  });

  it('allows a transform and a custom resource only by their exact names', () => {
    // Assess
    expect(allows(['Transform::AWS::LanguageExtensions'], 'Transform::AWS::LanguageExtensions')).toBe(true);
    expect(allows(['Transform::AWS::LanguageExtensions'], 'Transform::AWS::Serverless-2016-10-31')).toBe(false);
    expect(allows(['Custom::Validator'], 'Custom::Validator')).toBe(true);
    expect(allows(['Custom::Validator'], 'Custom::Other')).toBe(false);
  });
});

describe('the refusal sentence', () => {
  it('names the type, the list and where it comes from, and says when a wildcard did not cover hidden work', () => {
    // Act
    const message = refusal(
      'AWS::CloudFormation::Stack',
      ['AWS::CloudFormation::*'],
      'targets.resourceTypes in Settings',
    );

    // Assess
    expect(message).toBe(
      'AWS::CloudFormation::Stack is not allowed by targets.resourceTypes in Settings (AWS::CloudFormation::*): it hides or grants what a stack does, so only its exact name allows it, not AWS::CloudFormation::*; add AWS::CloudFormation::Stack there to allow it',
    );
  });

  it('says "none" for an empty list and names transforms and Init as what they are', () => {
    // Assess
    expect(refusal('AWS::SQS::Queue', [], 'Settings')).toBe(
      'AWS::SQS::Queue is not allowed by Settings (none); add AWS::SQS::Queue there to allow it',
    );
    expect(refusal('Transform::AWS::Include', [], 'Settings')).toMatch(/^transform AWS::Include is not allowed/);
    expect(refusal('AWS::CloudFormation::Init', [], 'Settings')).toMatch(/^AWS::CloudFormation::Init metadata is not/);
  });
});
