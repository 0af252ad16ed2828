namespace Stackless.Emu;

/// <summary>
/// Marks a method that a pickled delegate may point to: the body of a tasklet pickled before it started
/// (<c>new Tasklet(Worker.Body)</c>), or a callback a frame, closure or <c>[PickleByFields]</c> object holds. Loading a
/// pickle creates delegates only to methods returning <see cref="TaskletFrame"/> or <see cref="TaskletFrame{TResult}"/>
/// and to methods carrying this attribute, so a pickle cannot make a program call any other method of an allowed
/// assembly. Lambdas take it too: <c>new Tasklet([PickleDelegateTarget] async () =&gt; { ... })</c>.
/// </summary>
/// <remarks>Thread safety: an attribute, immutable.</remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class PickleDelegateTargetAttribute : Attribute
{
}
