namespace Stackless.Emu.Analyzers;

/// <summary>The diagnostic properties through which the analyzer tells the code fix what to write.</summary>
public static class FixProperties
{
    /// <summary>Key: which rewrite applies (one of the values below); absent when no automatic fix exists.</summary>
    public const string Fix = "Fix";

    /// <summary>Key: the name of the asynchronous form, for <see cref="ToAsyncForm"/>.</summary>
    public const string AsyncName = "AsyncName";

    /// <summary><c>x.Send(v)</c> becomes <c>await x.SendAsync(v)</c> (the name in <see cref="AsyncName"/>).</summary>
    public const string ToAsyncForm = "AsyncForm";

    /// <summary><c>Scheduler.WaitFor(task)</c> becomes <c>await task</c>.</summary>
    public const string AwaitArgument = "AwaitArgument";

    /// <summary><c>foreach</c> over a channel becomes <c>await foreach</c>.</summary>
    public const string AwaitForeach = "AwaitForeach";
}
