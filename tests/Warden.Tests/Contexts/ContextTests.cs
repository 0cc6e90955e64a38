using Warden.Contexts;
using Xunit;

namespace Warden.Tests.Contexts;

public class ContextTests
{
    private static readonly ContextKey<int> s_number = new("number");
    private static readonly ContextKey<string> s_text = new("text");
    private static readonly ContextKey<string?> s_maybeText = new("maybe text");

    [Fact]
    public void Background_IsNeverCancelledAndHoldsNothing()
    {
        IContext background = Context.Background;

        Assert.False(background.CancellationToken.CanBeCanceled);
        Assert.False(background.TryGetValue(s_number, out int number));
        Assert.Equal(0, number);
        Assert.False(background.TryGetValue(s_text, out _));
        Assert.Same(background, Context.Background);
    }

    [Fact]
    public void WithValue_AddsAValueWithoutChangingTheParent()
    {
        IContext parent = Context.Background;
        IContext child = parent.WithValue(s_number, 7);

        Assert.True(child.TryGetValue(s_number, out int number));
        Assert.Equal(7, number);
        Assert.False(parent.TryGetValue(s_number, out _));
        Assert.False(child.TryGetValue(s_text, out _));
    }

    [Fact]
    public void WithValue_LooksThroughParents()
    {
        IContext context = Context.Background.WithValue(s_number, 1).WithValue(s_text, "one");

        Assert.True(context.TryGetValue(s_number, out int number));
        Assert.Equal(1, number);
        Assert.True(context.TryGetValue(s_text, out string? text));
        Assert.Equal("one", text);
    }

    [Fact]
    public void WithValue_InnerValueShadowsOuter()
    {
        IContext outer = Context.Background.WithValue(s_number, 1);
        IContext inner = outer.WithValue(s_number, 2);

        Assert.Equal(2, inner.GetValueOrDefault(s_number, -1));
        Assert.Equal(1, outer.GetValueOrDefault(s_number, -1));
    }

    [Fact]
    public void Keys_CompareByIdentity()
    {
        var lookalike = new ContextKey<int>("number");
        IContext context = Context.Background.WithValue(s_number, 5);

        Assert.False(context.TryGetValue(lookalike, out _));
        Assert.Equal(-1, context.GetValueOrDefault(lookalike, -1));
    }

    [Fact]
    public void WithValue_CanStoreNull()
    {
        IContext context = Context.Background.WithValue(s_maybeText, null);

        Assert.True(context.TryGetValue(s_maybeText, out string? value));
        Assert.Null(value);
        Assert.Null(context.GetValueOrDefault(s_maybeText, "fallback"));
    }

    [Fact]
    public void GetValueOrDefault_FallsBack()
    {
        Assert.Equal("fallback", Context.Background.GetValueOrDefault(s_text, "fallback"));
        Assert.Equal("x", Context.Background.WithValue(s_text, "x").GetValueOrDefault(s_text, "fallback"));
    }

    [Fact]
    public void NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => Context.WithValue(null!, s_number, 1));
        Assert.Throws<ArgumentNullException>(() => Context.Background.WithValue(null!, 1));
        Assert.Throws<ArgumentNullException>(() => Context.WithCancellation(null!, CancellationToken.None));
        Assert.Throws<ArgumentNullException>(() => Context.GetValueOrDefault(null!, s_number, 1));
    }

    [Fact]
    public void ContextKey_NeedsAName()
    {
        Assert.Throws<ArgumentNullException>(() => new ContextKey<int>(null!));
        Assert.Throws<ArgumentException>(() => new ContextKey<int>(""));
        Assert.Equal("number", s_number.Name);
        Assert.Equal("number", s_number.ToString());
    }

    [Fact]
    public void WithCancellation_OfBackground_UsesTheToken()
    {
        using var source = new CancellationTokenSource();
        IContext context = Context.Background.WithCancellation(source.Token);

        Assert.True(context.CancellationToken.CanBeCanceled);
        Assert.False(context.CancellationToken.IsCancellationRequested);
        source.Cancel();
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void WithCancellation_WithNone_StaysUncancellable()
    {
        IContext context = Context.Background.WithCancellation(CancellationToken.None);
        Assert.False(context.CancellationToken.CanBeCanceled);
    }

    [Fact]
    public void WithCancellation_WithNone_KeepsTheParentsCancellation()
    {
        using var source = new CancellationTokenSource();
        IContext parent = Context.Background.WithCancellation(source.Token);
        IContext child = parent.WithCancellation(CancellationToken.None);

        source.Cancel();
        Assert.True(child.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void WithCancellation_CancelledByParent()
    {
        using var parentSource = new CancellationTokenSource();
        using var childSource = new CancellationTokenSource();
        IContext parent = Context.Background.WithCancellation(parentSource.Token);
        IContext child = parent.WithCancellation(childSource.Token);

        parentSource.Cancel();
        Assert.True(child.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void WithCancellation_CancelledByOwnToken_LeavesParentRunning()
    {
        using var parentSource = new CancellationTokenSource();
        using var childSource = new CancellationTokenSource();
        IContext parent = Context.Background.WithCancellation(parentSource.Token);
        IContext child = parent.WithCancellation(childSource.Token);

        childSource.Cancel();
        Assert.True(child.CancellationToken.IsCancellationRequested);
        Assert.False(parent.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void Values_SurviveCancellationAndViceVersa()
    {
        using var source = new CancellationTokenSource();
        IContext context = Context.Background
            .WithValue(s_number, 3)
            .WithCancellation(source.Token)
            .WithValue(s_text, "t");

        Assert.Equal(3, context.GetValueOrDefault(s_number, -1));
        Assert.Equal("t", context.GetValueOrDefault(s_text, ""));
        source.Cancel();
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }
}
